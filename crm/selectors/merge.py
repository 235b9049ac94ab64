"""Reads for merging: the leads that look like the same person, or those a search finds."""

from __future__ import annotations

from django.db.models import Q

from crm.models import Lead
from crm.selectors.leads import search_leads

CANDIDATES = 20


def merge_candidates(*, lead: Lead, query: str = "") -> list[Lead]:
    """Other leads to merge `lead` with: those a search finds, or without a search those with the same
    email or the same full name. Erased leads are never offered."""
    others = Lead.objects.exclude(pk=lead.pk).filter(erased_at__isnull=True).select_related("stage", "seller")
    if query.strip():
        return list(search_leads(others, query).order_by("-created_at", "-id")[:CANDIDATES])
    alike = Q(pk__in=[])
    if lead.email:
        alike |= Q(email__iexact=lead.email)
    if lead.first_name and lead.last_name:
        alike |= Q(first_name__iexact=lead.first_name, last_name__iexact=lead.last_name)
    return list(others.filter(alike).order_by("-created_at", "-id")[:CANDIDATES])
