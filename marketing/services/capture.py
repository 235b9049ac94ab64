"""Public lead capture forms: built by owners and marketing, answered by visitors on the company's host
or inside an iframe on another site. A submission creates or updates the lead by phone (new leads go to
the form's stage and seller, and appear live on the board), keeps its UTM fields and referrer, and writes
the answers into the lead's history."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.actors import lead_actor
from core.audit import audit_log
from core.tenancy import check_tenant
from crm import public as crm
from crm.models import Lead
from marketing.models import FormSubmission, LeadForm

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
LEAD_FIELDS = ("first_name", "last_name", "email", "company")


def form_save(*, form: LeadForm, actor) -> LeadForm:
    creating = form.pk is None
    if creating and getattr(actor, "is_authenticated", False):
        form.created_by = actor
    form.save()
    audit_log(action="marketing.form_create" if creating else "marketing.form_update", actor=actor, obj=form)
    return form


def form_submit(
    *, tenant, form: LeadForm, answers: dict, utm: dict, referrer: str = "", consent: bool = False
) -> tuple[Lead, bool]:
    """Records one answer to `form`: the lead (created or updated by phone), its attribution, the answers
    in its history, the submission row, and the "lead from a form" rules queued. Raises ApplicationError
    for a phone that is not one (nothing is written then)."""
    check_tenant(tenant)
    name = " ".join(filter(None, [answers.get("first_name", ""), answers.get("last_name", "")]))
    actor = lead_actor(name)
    fields = {key: str(answers.get(key, ""))[:254] for key in LEAD_FIELDS if answers.get(key)}
    utm = {key: str(value)[:100] for key, value in utm.items() if key in UTM_FIELDS and value}
    with transaction.atomic():
        seller_id = form.seller_id if form.seller_rule == LeadForm.SellerRule.SELLER else None
        lead, created = crm.lead_upsert_by_phone(
            tenant=tenant,
            phone=answers["phone"],
            actor=actor,
            source=Lead.Source.WEBSITE,
            fields=fields,
            stage=form.target_stage,
            seller_id=seller_id,
        )
        if utm:
            crm.lead_set_attribution(tenant=tenant, lead=lead, actor=actor, **utm)
        shown = {key: str(value) for key, value in answers.items() if value and key != "phone"}
        crm.timeline_add(
            tenant=tenant,
            lead=lead,
            kind="lead_form",
            actor=actor,
            body=_("Form “%(name)s” answered") % {"name": form.name},
            data={"origin": "website", "form": form.pk, "answers": shown, "utm": utm, "referrer": referrer[:500]},
        )
        FormSubmission.objects.create(
            form=form,
            lead_id=lead.pk,
            created_lead=created,
            answers=shown,
            utm=utm,
            referrer=referrer[:500],
            consent=consent,
        )
        from marketing.services.rules import rules_trigger

        rules_trigger(tenant=tenant, trigger="lead_from_ad", lead=lead, key=f"form:{form.pk}:{lead.pk}")
    return lead, created
