"""Template filters for money, numbers, dates and phones, in the reader's language and the company's
country (core.formatting): `{% load formatting %}` then `{{ lead.expected_value|money }}` (the company's
currency), `{{ total|money:"USD" }}`, `{{ rate|percent }}`, `{{ days|number:1 }}`,
`{{ lead.created_at|short_date }}`, `{{ entry.created_at|short_datetime }}`, `{{ lead.phone|phone }}`.

The language is the active one (the reader's, set per request); the company is the tenant the
connection is in (the request's, or the one a task entered), read at render time."""

from __future__ import annotations

from django import template
from django.db import connection
from django.utils.translation import get_language

from core import formatting
from core.phones import format_international

register = template.Library()


def _tenant_value(name: str) -> str:
    return str(getattr(getattr(connection, "tenant", None), name, "") or "")


def _reader() -> dict[str, str]:
    return {"language": get_language() or formatting.DEFAULT_LANGUAGE, "region": _tenant_value("country")}


def page_formatter() -> formatting.Formatter:
    """The `money` and `short_date` filters' formatting, for the active language and the connection's
    company, as one object built once (crm.fragments renders a page's rows with it)."""
    return formatting.Formatter(**_reader(), currency=_tenant_value("currency"))


@register.filter
def money(value, currency: str | None = None) -> str:
    return formatting.money(value, _tenant_value("currency") if currency is None else currency, **_reader())


@register.filter
def number(value, decimals=None) -> str:
    try:
        places = None if decimals in (None, "") else int(decimals)
    except (TypeError, ValueError):
        places = None
    return formatting.number(value, decimals=places, **_reader())


@register.filter
def percent(value) -> str:
    return formatting.percent(value, **_reader())


@register.filter
def short_date(value) -> str:
    return formatting.date(value, **_reader())


@register.filter
def short_datetime(value) -> str:
    return formatting.datetime(value, **_reader())


@register.filter
def phone(value) -> str:
    """An E.164 number as people read it: `+34 612 34 56 78`. Anything that does not parse stays as is."""
    return format_international(value)
