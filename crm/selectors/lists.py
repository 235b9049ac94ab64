"""Reads for the lead list's comforts: the views a person may apply and the columns they chose."""

from __future__ import annotations

from django.db.models import Q

from crm.models import ListPreference, SavedView
from crm.services.lists import LIST_COLUMNS


def saved_views(*, membership) -> list[SavedView]:
    """The person's own views and the ones owners shared, in one query."""
    return list(SavedView.objects.filter(Q(user_id=membership.user_id) | Q(shared=True)).order_by("name", "id"))


def list_columns(*, user_id: int) -> list[str]:
    chosen = ListPreference.objects.filter(user_id=user_id).values_list("columns", flat=True).first()
    return [name for name in LIST_COLUMNS if name in chosen] if chosen else list(LIST_COLUMNS)
