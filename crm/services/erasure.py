"""Erasing a person's personal data on request (GDPR article 17), everywhere in the company.

The lead row stays, anonymous, so figures do not move: its stage and when it got there, seller, source,
campaign, value, and creation, contact and closing dates. Everything that identifies or describes the
person goes: names, phone, email, company, texts, the click id and personal UTM values, every history
entry but the bare facts figures need (created, stage and seller changes, calls without their notes),
uploaded documents and their files, the person's rows in every stored import file and in the import
reports, and the personal values in the audit log. Other apps erase theirs through crm.lead_hooks.
The audit log then records that an erasure happened, by whom and when, and nothing of what was erased."""

from __future__ import annotations

import csv
import io

import phonenumbers
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.models import AuditEntry
from core.phones import digits, normalize_phone
from core.tenancy import check_tenant
from crm.csvfiles import decode, read_sheet
from crm.lead_hooks import run_lead_handlers
from crm.models import ImportJob, Lead, LeadDocument, LostReason, TimelineEntry
from crm.realtime import announce_lead

ERASED = "[erased]"
# Personal fields of the lead and what they become.
BLANKED = {
    "first_name": "", "last_name": "", "email": "", "company": "", "score_reason": "", "language": "",
    "notes": "", "next_action": "", "next_action_at": None, "ad_headline": "", "ad_body": "", "click_id": "",
    "utm_term": "", "utm_content": "", "lost_note": "", "search_text": "",
}  # fmt: skip
# History kinds kept (bare) because figures are made of them, with the data keys each keeps.
KEPT_HISTORY = {
    "created": ("source", "stage", "stage_id"),
    "stage": ("from", "to", "from_id", "to_id", "seconds"),
    "assignment": ("from", "to", "from_id", "to_id"),
    "call": ("outcome", "duration"),
}
# Audit change keys whose values are not the person's (they stay on the lead's own audit entries).
SAFE_AUDIT_KEYS = {"stage", "seller", "outcome", "rows", "count", "source", "expected_value", "score", "tags"}


def _national(phone: str) -> str:
    try:
        return str(phonenumbers.parse(phone, None).national_number)
    except phonenumbers.NumberParseException:
        return digits(phone)


def _identifiers(lead: Lead) -> list[str]:
    """The strings that identify the person, searched for in stored texts (short ones would match others)."""
    values = [lead.phone, _national(lead.phone), lead.email, lead.full_name, lead.click_id]
    return [value for value in values if value and len(value) >= 5]


def _erase_history(lead: Lead) -> None:
    TimelineEntry.objects.filter(lead=lead).exclude(kind__in=list(KEPT_HISTORY)).delete()
    for entry in TimelineEntry.objects.filter(lead=lead):
        keys = KEPT_HISTORY[entry.kind]
        entry.body = ""
        entry.data = {key: value for key, value in (entry.data or {}).items() if key in keys}
        entry.save(update_fields=["body", "data"])


def _erase_documents(lead: Lead) -> None:
    documents = LeadDocument.objects.filter(lead=lead)
    files = [name for name in documents.values_list("file", flat=True) if name]
    documents.delete()
    storage = LeadDocument.file.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


def _row_is_the_person(cells: list[str], lead: Lead, region: str, national: str) -> bool:
    email = lead.email.lower()
    for cell in cells:
        text = cell.strip()
        if email and text.lower() == email:
            return True
        if national and national in digits(text):
            try:
                if normalize_phone(text, region=region) == lead.phone:
                    return True
            except ApplicationError:
                continue
    return False


def _erase_import_files(lead: Lead, region: str) -> None:
    """Rewrites every stored import file of the company without the person's rows (matched by phone in
    any format or by email), and drops those rows from the import reports."""
    national = digits(lead.phone)[-8:]
    for job in ImportJob.objects.all():
        if job.file:
            _rewrite_import_file(job, lead, region, national)
        kept = [
            entry for entry in job.errors if not _row_is_the_person([entry.get("phone", "")], lead, region, national)
        ]
        if kept != job.errors:
            job.errors = kept
            job.save(update_fields=["errors", "updated_at"])


def _rewrite_import_file(job: ImportJob, lead: Lead, region: str, national: str) -> None:
    try:
        with job.file.open("rb") as stored:
            data = stored.read()
        sheet = read_sheet(data)
    except (ApplicationError, OSError):
        data = None
    if data is None:
        return
    kept = [row for row in sheet.rows if not _row_is_the_person(row, lead, region, national)]
    if len(kept) == len(sheet.rows) and (not lead.email or lead.email.lower() not in decode(data).lower()):
        return
    output = io.StringIO()
    writer = csv.writer(output, delimiter=sheet.delimiter)
    writer.writerow(sheet.headers)
    writer.writerows(kept)
    name = job.file.name
    storage = job.file.storage
    storage.delete(name)
    saved = storage.save(name, ContentFile(("\ufeff" + output.getvalue()).encode("utf-8")))
    if saved != name:
        ImportJob.objects.filter(pk=job.pk).update(file=saved)


def _scrub(value, identifiers: list[str]):
    if isinstance(value, str):
        return ERASED if any(identifier.lower() in value.lower() for identifier in identifiers) else value
    if isinstance(value, dict):
        return {key: _scrub(item, identifiers) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, identifiers) for item in value]
    return value


def _erase_audit(lead: Lead, identifiers: list[str]) -> None:
    """The lead's own audit entries keep their action, actor and time but lose the values (but for stage,
    seller and the like); any other entry holding one of the person's identifiers loses that value."""
    own = AuditEntry.objects.filter(object_type="crm.lead", object_id=str(lead.pk))
    for entry in own:
        entry.object_repr = f"#{lead.pk}"
        entry.changes = {
            key: change if key in SAFE_AUDIT_KEYS else {"before": None, "after": None}
            for key, change in (entry.changes or {}).items()
        }
        entry.changes = _scrub(entry.changes, identifiers)
        entry.save(update_fields=["object_repr", "changes"])
    if not identifiers:
        return
    query = Q()
    for identifier in identifiers:
        query |= Q(object_repr__icontains=identifier) | Q(changes_text__icontains=identifier)
    others = AuditEntry.objects.annotate(changes_text=Cast("changes", TextField())).filter(query).exclude(pk__in=own)
    for entry in others:
        entry.object_repr = _scrub(entry.object_repr, identifiers)
        entry.changes = _scrub(entry.changes, identifiers)
        entry.save(update_fields=["object_repr", "changes"])


def _erase_notifications(lead: Lead, identifiers: list[str]) -> None:
    """In-app notifications that name the person or link to their lead are deleted (core has no writer
    for them but `notify`; a notice about someone erased has nothing left to say)."""
    from core.models import Notification

    query = Q(url__regex=rf"^/leads/{lead.pk}(/|$)")
    for identifier in identifiers:
        query |= Q(text__icontains=identifier)
    Notification.objects.filter(query).delete()


def _managed_reason(text: str) -> bool:
    return any(text == reason.display_name for reason in LostReason.objects.all())


@transaction.atomic
def lead_erase(*, tenant, lead: Lead, actor) -> Lead:
    """Erases the person behind `lead` (see the module) and returns the anonymous lead. Raises
    ApplicationError when it was already erased."""
    check_tenant(tenant)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.erased_at:
        raise ApplicationError(_("This lead's personal data was already erased."))
    identifiers = _identifiers(lead)
    run_lead_handlers("erase", tenant=tenant, lead=lead, actor=actor)
    _erase_history(lead)
    _erase_documents(lead)
    _erase_import_files(lead, tenant.country)
    _erase_audit(lead, identifiers)
    _erase_notifications(lead, identifiers)
    for name, value in BLANKED.items():
        setattr(lead, name, value)
    if lead.lost_reason and not _managed_reason(lead.lost_reason):
        lead.lost_reason = ""
    lead.phone = f"erased-{lead.pk}"
    lead.erased_at = timezone.now()
    lead.save()
    audit_log(action="lead.erase", actor=actor, obj=lead, changes={})
    announce_lead(lead=lead, event="LEAD_UPDATED")
    return lead
