"""Meta lead ads: the webhook's notifications stored once per lead, then each lead's answers fetched from
Graph and recorded as a CRM lead (created or updated by phone) with its campaign, ad set and ad."""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from core.actors import SYSTEM
from core.errors import ApplicationError, PermanentClientError, TransientClientError
from core.tenancy import check_tenant
from crm import public as crm
from crm.models import Lead
from marketing.clients import get_meta_client
from marketing.models import Ad, LeadgenEvent
from tenants.models import MetaPage

logger = logging.getLogger(__name__)

PHONE_KEYS = ("phone_number", "phone", "mobile_phone", "whatsapp_number")


def signature_valid(*, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256 of the raw body with the Meta app secret."""
    secret = settings.META_APP_SECRET
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def webhook_receive(payload: dict) -> list[tuple[str, int]]:
    """Stores each `leadgen` change once, in the company owning its page, and enqueues its processing.
    Returns [(schema, event id)] of the new events; duplicates and unknown pages are ignored."""
    from marketing.tasks import leadgen_process_task

    created = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") != "leadgen":
                continue
            value = change.get("value") or {}
            leadgen_id, page_id = str(value.get("leadgen_id") or ""), str(value.get("page_id") or entry.get("id") or "")
            if not leadgen_id or not page_id:
                continue
            page = MetaPage.objects.select_related("tenant").filter(page_id=page_id).first()
            if page is None:
                logger.info("leadgen for an unknown page %s ignored", page_id)
                continue
            with tenant_context(page.tenant):
                try:
                    with transaction.atomic():
                        event = LeadgenEvent.objects.create(
                            leadgen_id=leadgen_id,
                            page_id=page_id,
                            form_id=str(value.get("form_id") or ""),
                            ad_id=str(value.get("ad_id") or ""),
                            payload=value,
                        )
                except IntegrityError:
                    continue  # Meta delivered it before
                leadgen_process_task.delay(event.pk)
                created.append((page.tenant.schema_name, event.pk))
    return created


def _split_name(answers: dict) -> dict:
    first, last = answers.get("first_name", ""), answers.get("last_name", "")
    if not first and answers.get("full_name"):
        first, _sep, last = answers["full_name"].strip().partition(" ")
    return {"first_name": first[:80], "last_name": last[:80], "email": answers.get("email", "")[:254]}


def leadgen_process(*, tenant, event_id: int, final: bool = False) -> str:
    """Records one lead-ads lead. Idempotent: an event already done is left alone. Transient Graph errors
    are raised (the task retries) until `final`; then, like permanent ones, the event is marked failed."""
    check_tenant(tenant)
    event = LeadgenEvent.objects.filter(pk=event_id).first()
    if event is None or event.status == LeadgenEvent.Status.DONE:
        return "done"
    try:
        answers = get_meta_client(tenant).lead(event.leadgen_id)
    except TransientClientError as error:
        if not final:
            raise
        LeadgenEvent.objects.filter(pk=event.pk).update(status=LeadgenEvent.Status.FAILED, error=error.message[:500])
        return "failed"
    except PermanentClientError as error:
        LeadgenEvent.objects.filter(pk=event.pk).update(status=LeadgenEvent.Status.FAILED, error=error.message[:500])
        return "failed"
    phone = next((answers.answers[key] for key in PHONE_KEYS if answers.answers.get(key)), "")
    ad_id = answers.ad_id or event.ad_id
    ad = Ad.objects.select_related("adset", "campaign").filter(meta_id=ad_id).first() if ad_id else None
    try:
        with transaction.atomic():
            lead, created = crm.lead_upsert_by_phone(
                tenant=tenant,
                phone=phone,
                actor=SYSTEM,
                source=Lead.Source.META_ADS,
                fields=_split_name(answers.answers),
            )
            crm.lead_set_attribution(
                tenant=tenant,
                lead=lead,
                actor=SYSTEM,
                meta_campaign_id=answers.campaign_id or (ad.campaign.meta_id if ad else ""),
                meta_adset_id=answers.adset_id or (ad.adset.meta_id if ad else ""),
                meta_ad_id=ad_id,
                ad_headline=answers.ad_name or (ad.name if ad else ""),
            )
            crm.timeline_add(
                tenant=tenant,
                lead=lead,
                kind="lead_form",
                actor=SYSTEM,
                body=_("Lead ads form answered"),
                data={"origin": "meta", "form_id": answers.form_id or event.form_id, "answers": answers.answers},
            )
            LeadgenEvent.objects.filter(pk=event.pk).update(status=LeadgenEvent.Status.DONE, lead_id=lead.pk, error="")
            from marketing.services.rules import rules_trigger

            rules_trigger(tenant=tenant, trigger="lead_from_ad", lead=lead, key=f"leadgen:{event.leadgen_id}")
    except ApplicationError as error:
        message = error.message if phone else _("The form's answers carry no phone number.")
        LeadgenEvent.objects.filter(pk=event.pk).update(status=LeadgenEvent.Status.FAILED, error=str(message)[:500])
        return "failed"
    return "created" if created else "updated"
