"""Small display helpers for CRM pages: money, phones, language names, initials, call durations, timeline
entry templates."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.translation import get_language

from core.phones import format_international

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "MXN": "MX$", "COP": "COL$", "ARS": "AR$", "CLP": "CLP$"}


@register.filter
def money(value, currency: str = "") -> str:
    """An amount without cents in the active language's number format, with the currency where that
    language puts it: `€12,500` in English, `12 500 €` in Spanish and French. A code without a known
    symbol is written out (`CHF 12,500`, `12 500 CHF`)."""
    try:
        amount = Decimal(value or 0).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    # Rounded first: number_format only cuts the digits after decimal_pos.
    number = number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, code)
    if not symbol:
        return number
    if (get_language() or "").split("-")[0] == "en":
        joiner = "" if code in CURRENCY_SYMBOLS else "\xa0"
        return f"{symbol}{joiner}{number}" if not number.startswith("-") else f"-{symbol}{joiner}{number[1:]}"
    return f"{number}\xa0{symbol}"


@register.filter
def percent(value) -> str:
    """`50.9%` in English, `50,9 %` in Spanish and French; an em dash for no value."""
    if value is None or value == "":
        return "—"
    number = floatformat(value, -1)
    return f"{number}%" if (get_language() or "").split("-")[0] == "en" else f"{number}\xa0%"


@register.filter
def phone(value) -> str:
    """An E.164 number as people read it: `+34 612 34 56 78`. Anything that does not parse stays as is."""
    return format_international(value)


@register.filter
def language_name(code) -> str:
    """A language code (`es`) as its name in the reader's language (`Spanish`); an unknown code as given."""
    names = dict(settings.LANGUAGES)
    key = (code or "").lower()
    return str(names[key]) if key in names else (code or "")


@register.simple_tag(takes_context=True)
def stage_label(context, stage_id, recorded: str = "") -> str:
    """A stage named in the history, as the reader calls it today: names are recorded in the language of
    whoever made the change, so the page's `stages` give the current name in the reader's language. The
    recorded name stays when the stage is gone or the page has no stages."""
    for stage in context.get("stages") or ():
        if stage.pk == stage_id:
            return stage.display_name
    return recorded or ""


@register.filter
def initials(user) -> str:
    if user is None:
        return ""
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or "").strip()
    parts = [part for part in name.replace("@", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper()


@register.filter
def duration(seconds) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour up."""
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def call_outcome(value: str) -> str:
    """A stored outcome by its name in the reader's language; an unknown one as stored."""
    from crm.models import CallOutcome

    return str(CallOutcome(value).label) if value in CallOutcome.values else (value or "")


@register.filter
def timeline_templates(entry) -> list[str]:
    """The templates that may render this entry's body: the one its app declared for the kind (see
    core.registry), then the default."""
    from core.registry import timeline_kind

    kind = timeline_kind(str(entry.kind))
    return [kind.template, "crm/timeline/_default.html"] if kind else ["crm/timeline/_default.html"]


@register.filter
def timeline_kind_label(entry) -> str:
    """The translated name of a declared kind; an undeclared one reads like a title."""
    from core.registry import timeline_kind

    kind = timeline_kind(str(entry.kind))
    return str(kind.label) if kind else str(entry.kind).replace("_", " ").capitalize()


@register.filter
def lead_field_labels(names) -> list[str]:
    """Lead field names (as stored in update entries) as their translated labels."""
    from django.core.exceptions import FieldDoesNotExist

    from crm.models import Lead

    labels = []
    for name in names or []:
        try:
            labels.append(str(Lead._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(str(name))
    return labels
