"""The lead export: a CSV of what the list shows with its filters. Audited with the number of rows."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from core.audit import audit_log
from crm.csvfiles import csv_lines
from crm.models import Lead

EXPORT_COLUMNS = [
    "phone", "first_name", "last_name", "email", "company", "stage", "seller_email", "source", "tags",
    "expected_value", "score", "score_reason", "language", "last_contact_at", "next_action", "next_action_at",
    "created_at", "meta_campaign_id", "meta_adset_id", "meta_ad_id", "click_id",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
]  # fmt: skip
CHUNK_SIZE = 2000


def _iso(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _row(lead: Lead) -> list:
    return [
        lead.phone, lead.first_name, lead.last_name, lead.email, lead.company, lead.stage.display_name,
        lead.seller.email if lead.seller_id and lead.seller else "", lead.source,
        ", ".join(tag.name for tag in lead.tags.all()), lead.expected_value, lead.score, lead.score_reason,
        lead.language, _iso(lead.last_contact_at), lead.next_action, _iso(lead.next_action_at),
        _iso(lead.created_at), lead.meta_campaign_id, lead.meta_adset_id, lead.meta_ad_id, lead.click_id,
        lead.utm_source, lead.utm_medium, lead.utm_campaign, lead.utm_term, lead.utm_content,
    ]  # fmt: skip


def leads_export(*, leads: QuerySet[Lead], actor, query: str = "") -> Iterator[str]:
    """Audits the export (`lead.export`, with the row count and the filters) and returns the CSV lines.
    The rows are read lazily, CHUNK_SIZE at a time, as the response is sent."""
    count = leads.count()
    audit_log(
        action="lead.export",
        actor=actor,
        object_type="crm.lead",
        object_repr=f"{count} leads",
        changes={"count": {"before": None, "after": count}, "filters": {"before": None, "after": query}},
    )
    rows = (_row(lead) for lead in leads.select_related("stage", "seller").iterator(chunk_size=CHUNK_SIZE))
    return csv_lines(EXPORT_COLUMNS, rows)
