"""Choices that guide the company settings: time zones grouped by region with their current UTC offset,
and countries by name in the reader's language (CLDR data from Babel), limited to those whose phone
numbers can be read."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tenants.models import TIMEZONE_CHOICES

REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


def _offset(name: str, now: datetime) -> str:
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timezone_choices(now: datetime | None = None) -> list:
    """[(region label, [(zone, "(UTC+01:00) Madrid"), ...]), ...] for the zones the model accepts, regions
    in alphabetical order of their key, zones by offset then name; UTC and the rest under "Other"."""
    now = now or datetime.now(zoneinfo.ZoneInfo("UTC"))
    groups: dict[str, list[tuple[int, str, str]]] = {}
    for name, _label in TIMEZONE_CHOICES:
        region, _slash, place = name.partition("/")
        key = region if region in REGIONS else ""
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        label = f"({_offset(name, now)}) {(place or name).replace('_', ' ').replace('/', ' / ')}"
        groups.setdefault(key, []).append((minutes, label, name))
    choices = []
    for key in [*sorted(k for k in groups if k), ""]:
        if key not in groups:
            continue
        zones = [(name, label) for _minutes, label, name in sorted(groups[key])]
        choices.append((str(REGIONS[key]) if key else str(_("Other")), zones))
    return choices


def country_choices() -> list[tuple[str, str]]:
    """[(code, name in the active language)] for every region phone numbers can be read for, by name."""
    language = (translation.get_language() or "en").split("-")[0]
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").territories
    codes = sorted(code for code in phonenumbers.SUPPORTED_REGIONS if code != "001")
    return sorted(((code, f"{names.get(code, code)} ({code})") for code in codes), key=lambda item: item[1])
