"""Agenda template tags: dates stored as ISO text in history entries, and the agenda's blocks that CRM
pages include (dashboard tasks and alerts, a lead's appointments and tasks, the analytics figures)."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def iso_datetime(value):
    """An ISO 8601 text (as history entries store it) as a datetime; anything else as given."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
