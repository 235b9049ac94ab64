"""The customer history, newest first, a page at a time (keyset, so new entries never shift older pages)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from crm.models import Lead, TimelineEntry
from crm.selectors.leads import lead_timeline

TIMELINE_PAGE_SIZE = 20


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    has_more: bool

    @property
    def last_id(self) -> int | None:
        return self.entries[-1].pk if self.entries else None


def timeline_page(*, lead: Lead, before_id: int | None = None, size: int = TIMELINE_PAGE_SIZE) -> TimelinePage:
    """Up to `size` entries of the lead older than entry `before_id` (the newest when None)."""
    entries = lead_timeline(lead=lead)
    if before_id is not None:
        anchor = TimelineEntry.objects.filter(lead=lead, pk=before_id).values("created_at").first()
        if anchor is None:
            return TimelinePage(entries=[], has_more=False)
        entries = entries.filter(
            Q(created_at__lt=anchor["created_at"]) | Q(created_at=anchor["created_at"], pk__lt=before_id)
        )
    rows = list(entries[: size + 1])
    return TimelinePage(entries=rows[:size], has_more=len(rows) > size)
