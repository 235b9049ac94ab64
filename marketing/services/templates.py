"""WhatsApp templates: synced from the company's WhatsApp Business account, previewed with sample values,
sent to one lead or a filtered list (opted-out leads skipped and counted), through the chats adapter."""

from __future__ import annotations

import re

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError, ClientError
from core.tenancy import check_tenant
from crm import public as crm
from crm.models import Lead
from marketing.adapters import chats
from marketing.clients import get_meta_client
from marketing.models import OptOut, TemplateBatch, TemplateSend, WhatsAppTemplate

VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
# Lead fields a template variable may be filled from.
LEAD_FIELDS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "full_name": _("Full name"),
    "company": _("Company"),
    "email": _("Email"),
    "phone": _("Phone"),
}
BATCH_LIMIT = 5000


def template_body(template: WhatsAppTemplate) -> str:
    for component in template.components:
        if str(component.get("type", "")).upper() == "BODY":
            return str(component.get("text", ""))
    return ""


def template_variable_count(template: WhatsAppTemplate) -> int:
    numbers = [int(n) for n in VARIABLE.findall(template_body(template))]
    return max(numbers, default=0)


def template_samples(template: WhatsAppTemplate) -> list[str]:
    for component in template.components:
        if str(component.get("type", "")).upper() == "BODY":
            rows = (component.get("example") or {}).get("body_text") or [[]]
            return [str(v) for v in rows[0]]
    return []


def template_render(template: WhatsAppTemplate, values: list[str]) -> str:
    def fill(match):
        index = int(match.group(1)) - 1
        return values[index] if 0 <= index < len(values) and values[index] else match.group(0)

    return VARIABLE.sub(fill, template_body(template))


def lead_values(template: WhatsAppTemplate, lead: Lead) -> list[str]:
    fields = list(template.variables or [])
    values = []
    for position in range(template_variable_count(template)):
        name = fields[position] if position < len(fields) else "first_name"
        value = lead.full_name if name == "full_name" else getattr(lead, name, "")
        values.append(str(value or ""))
    return values


def templates_sync(*, tenant, actor, waba_id: str) -> int:
    """Reads the account's templates; approved and others are kept with their status. Returns how many."""
    check_tenant(tenant)
    if not waba_id:
        raise ApplicationError(_("Enter the WhatsApp Business account id."))
    try:
        found = get_meta_client(tenant).templates(waba_id)
    except ClientError as error:
        raise ApplicationError(_("Meta refused: %(reason)s") % {"reason": error.message}) from error
    with transaction.atomic():
        for item in found:
            WhatsAppTemplate.objects.update_or_create(
                name=item.name[:512],
                language=item.language[:16],
                defaults={
                    "meta_id": item.meta_id,
                    "category": item.category[:32],
                    "status": item.status[:32],
                    "components": item.components,
                },
            )
        audit_log(action="marketing.templates_sync", actor=actor, changes={"count": {"after": len(found)}})
    return len(found)


def template_set_variables(*, template: WhatsAppTemplate, fields: list[str], actor) -> WhatsAppTemplate:
    unknown = [f for f in fields if f not in LEAD_FIELDS]
    if unknown:
        raise ApplicationError(_("Unknown lead field."))
    template.variables = fields
    template.save(update_fields=["variables", "updated_at"])
    audit_log(action="marketing.template_variables", actor=actor, obj=template)
    return template


def template_send_to_lead(
    *, tenant, template: WhatsAppTemplate, lead: Lead, actor, key: str, batch: TemplateBatch | None = None
) -> str:
    """Sends once per `key` (a second call with the same key does nothing and says "duplicate"). Opted-out
    leads are skipped; returns the TemplateSend status, or "duplicate"."""
    check_tenant(tenant)
    if not template.approved:
        raise ApplicationError(_("Only approved templates can be sent."))
    opted_out = OptOut.objects.filter(lead_id=lead.pk).exists()
    status = TemplateSend.Status.SKIPPED if opted_out else TemplateSend.Status.SENT
    try:
        with transaction.atomic():
            send = TemplateSend.objects.create(
                batch=batch, template=template, lead_id=lead.pk, key=key[:128], status=status
            )
    except IntegrityError:
        return "duplicate"
    if opted_out:
        return status
    values = lead_values(template, lead)
    components = (
        [{"type": "body", "parameters": [{"type": "text", "text": v or "-"} for v in values]}] if values else []
    )
    try:
        chats.send_template(
            tenant=tenant,
            lead=lead,
            name=template.name,
            language=template.language,
            components=components,
            actor=actor,
            idempotency_key=f"marketing:{key}"[:100],
            text=template_render(template, values),
        )
    except ApplicationError as error:
        TemplateSend.objects.filter(pk=send.pk).update(status=TemplateSend.Status.FAILED, detail=error.message[:500])
        return TemplateSend.Status.FAILED
    crm.timeline_add(
        tenant=tenant,
        lead=lead,
        kind="template_sent",
        actor=actor,
        body=template_render(template, values),
        data={"template": template.name, "language": template.language},
    )
    return status


def leads_matching(filters: dict):
    """The leads a batch goes to: the lead list's filters (stage, source, Meta campaign, tag, creation
    dates), erased leads never."""
    from datetime import date

    leads = Lead.objects.filter(erased_at__isnull=True)
    if filters.get("stage"):
        leads = leads.filter(stage_id=int(filters["stage"]))
    if filters.get("source"):
        leads = leads.filter(source=filters["source"])
    if filters.get("campaign"):
        leads = leads.filter(meta_campaign_id=filters["campaign"])
    if filters.get("tag"):
        leads = leads.filter(tags__name=filters["tag"])
    if filters.get("created_from"):
        leads = leads.filter(created_at__date__gte=date.fromisoformat(filters["created_from"]))
    if filters.get("created_to"):
        leads = leads.filter(created_at__date__lte=date.fromisoformat(filters["created_to"]))
    return leads.distinct().order_by("pk")


def batch_preview(*, filters: dict) -> dict:
    leads = leads_matching(filters)
    total = leads.count()
    opted_out = OptOut.objects.filter(lead_id__in=leads.values("pk")).count()
    return {"total": total, "opted_out": opted_out, "too_many": total > BATCH_LIMIT}


def template_batch_create(*, tenant, template: WhatsAppTemplate, filters: dict, actor) -> TemplateBatch:
    """Records a send to the leads matching `filters` and queues it for a worker."""
    from marketing.tasks import template_batch_task

    check_tenant(tenant)
    if not template.approved:
        raise ApplicationError(_("Only approved templates can be sent."))
    total = leads_matching(filters).count()
    if total > BATCH_LIMIT:
        raise ApplicationError(_("Narrow the filters: at most %(n)s leads at once.") % {"n": BATCH_LIMIT})
    if not total:
        raise ApplicationError(_("No lead matches these filters."))
    batch = TemplateBatch.objects.create(
        template=template,
        filters=filters,
        total=total,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(action="marketing.template_batch", actor=actor, obj=batch, changes={"total": {"after": total}})
    transaction.on_commit(lambda: template_batch_task.delay(batch.pk))
    return batch


def template_batch_run(*, tenant, batch_id: int, actor=None) -> TemplateBatch:
    """Sends the batch (each lead once, whatever the number of runs: sends are keyed by batch and lead)."""
    from core.actors import SYSTEM

    check_tenant(tenant)
    batch = TemplateBatch.objects.select_related("template").get(pk=batch_id)
    for lead in leads_matching(batch.filters)[:BATCH_LIMIT]:
        template_send_to_lead(
            tenant=tenant,
            template=batch.template,
            lead=lead,
            actor=actor or SYSTEM,
            key=f"batch:{batch.pk}:{lead.pk}",
            batch=batch,
        )
    counts = dict(
        TemplateSend.objects.filter(batch=batch).values_list("status").annotate(n=models.Count("id")).order_by()
    )
    TemplateBatch.objects.filter(pk=batch.pk).update(
        sent=counts.get(TemplateSend.Status.SENT, 0),
        skipped_opted_out=counts.get(TemplateSend.Status.SKIPPED, 0),
        failed=counts.get(TemplateSend.Status.FAILED, 0),
    )
    batch.refresh_from_db()
    return batch


def template_send_in_conversation(*, tenant, template: WhatsAppTemplate, conversation, actor):
    """A person sends `template` from the inbox's composer (the way to write once WhatsApp's 24-hour window
    has closed): filled from the conversation's lead, queued through chats, recorded. Returns the chats
    message. Raises ApplicationError for an unapproved template or a lead who opted out."""
    import uuid

    check_tenant(tenant)
    if not template.approved:
        raise ApplicationError(_("Only approved templates can be sent."))
    lead = conversation.lead
    if OptOut.objects.filter(lead_id=lead.pk).exists():
        raise ApplicationError(_("This lead opted out of marketing messages."))
    values = lead_values(template, lead)
    components = (
        [{"type": "body", "parameters": [{"type": "text", "text": v or "-"} for v in values]}] if values else []
    )
    key = f"composer:{conversation.pk}:{uuid.uuid4().hex}"
    message = chats.send_template(
        tenant=tenant,
        lead=lead,
        name=template.name,
        language=template.language,
        components=components,
        actor=actor,
        idempotency_key=f"marketing:{key}"[:100],
        text=template_render(template, values),
        conversation=conversation,
    )
    TemplateSend.objects.create(template=template, lead_id=lead.pk, key=key, status=TemplateSend.Status.SENT)
    return message


def approved_templates():
    return list(WhatsAppTemplate.objects.filter(status="APPROVED").order_by("name", "language"))


def lead_opt_out(*, tenant, lead: Lead, actor, reason: str = "") -> None:
    check_tenant(tenant)
    OptOut.objects.get_or_create(lead_id=lead.pk, defaults={"reason": reason[:255]})
    audit_log(action="marketing.opt_out", actor=actor, obj=lead)
