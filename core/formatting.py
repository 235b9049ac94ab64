"""Money, numbers and dates as the reader expects them, through Babel (CLDR data), for every app.

The locale is the reader's language in the company's country: an English-speaking user of a Spanish
company reads `en_ES` (3 December 2026 is 03/12/2026, 1500.5 euros is 1.500,50 €), a Spanish speaker
there `es_ES`, one of a Mexican company `es_MX`. When Babel has no such locale (French in Spain,
English in Mexico), the language's international variant is used where CLDR has one (`en_001`: day
before month), else the language alone (`fr`); without a country, the language alone. Amounts keep
their cents (as many digits as the currency has: two for EUR, none for CLP). Templates use the filters
of `core.templatetags.formatting`, which read the active language and the tenant of the request."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, localedata
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_name, get_territory_currencies
from django.utils import timezone

DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=256)
def locale_for(language: str, region: str = "") -> Locale:
    """The Babel locale of `language` ('es', 'en', 'fr'; 'es-mx' is read as 'es') in `region` (a
    company's two-letter country code), falling back as the module docstring says."""
    lang = (language or DEFAULT_LANGUAGE).replace("-", "_").split("_")[0].lower() or DEFAULT_LANGUAGE
    country = (region or "").upper()
    candidates = [f"{lang}_{country}", f"{lang}_001"] if country.isalpha() and len(country) == 2 else []
    candidates += [lang, DEFAULT_LANGUAGE]
    for name in candidates:
        if localedata.exists(name):
            try:
                return Locale.parse(name)
            except (UnknownLocaleError, ValueError):
                continue
    return Locale.parse(DEFAULT_LANGUAGE)


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def money(amount, currency: str, *, language: str, region: str = "") -> str:
    """`amount` in `currency` (ISO 4217) as the locale writes it, cents kept: 1500.5 EUR is '1.500,50 €'
    in es_ES, '€1,500.50' in en, '1 500,50 €' in fr. Without a currency, the number with two decimals.
    Not a number: empty."""
    number = _decimal(amount)
    if number is None:
        return ""
    return _money(number, (currency or "").strip().upper(), locale_for(language, region))


@lru_cache(maxsize=4096)
def _money(number: Decimal, code: str, locale: Locale) -> str:
    # Cached: a page shows many amounts, most of them repeated (prices, totals), and Babel takes ~60 µs each.
    if not code:
        return format_decimal(number, format="#,##0.00", locale=locale)
    return format_currency(number, code, locale=locale)


def number(value, *, language: str, region: str = "", decimals: int | None = None) -> str:
    """A number with the locale's separators; `decimals` fixes how many digits follow the separator (by
    default, those the value has, up to three). Not a number: empty."""
    parsed = _decimal(value)
    if parsed is None:
        return ""
    locale = locale_for(language, region)
    if decimals is None:
        return format_decimal(parsed, locale=locale)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(parsed, format=pattern, locale=locale)


_LAST_ZERO = re.compile(r"0(?=[^0]*$)")


def percent(value, *, language: str, region: str = "") -> str:
    """A percentage given in percent (50.9 -> '50.9%' in en, '50,9 %' in es), at most one decimal.
    Nothing: an em dash."""
    parsed = _decimal(value)
    if parsed is None:
        return "—"
    locale = locale_for(language, region)
    pattern = _LAST_ZERO.sub("0.#", locale.percent_formats[None].pattern, count=1)
    return format_percent(parsed / 100, format=pattern, locale=locale)


def _local(value):
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date(value, *, language: str, region: str = "", length: str = "short") -> str:
    """A date (or a datetime's date in the current time zone): 3 December 2026 is '03/12/2026' in en_ES,
    '3/12/26' in es_ES, '12/3/26' in en_US. Nothing: empty."""
    if not isinstance(value, dt.date):
        return ""
    local = _local(value)
    day = local.date() if isinstance(local, dt.datetime) else local
    return _date(day, length, locale_for(language, region))


@lru_cache(maxsize=4096)
def _date(day: dt.date, length: str, locale: Locale) -> str:
    # Cached like _money: a list page shows a hundred dates, most of them a few days apart, and Babel
    # takes ~30 µs each.
    return format_date(day, format=length, locale=locale)


def datetime(value, *, language: str, region: str = "", length: str = "short") -> str:
    """A moment in the current time zone: '03/12/2026, 14:05' in en_ES. Nothing: empty."""
    if not isinstance(value, dt.datetime):
        return ""
    local = _local(value)
    return format_datetime(local, format=length, tzinfo=local.tzinfo, locale=locale_for(language, region))


@lru_cache(maxsize=4096)
def _datetime(moment: dt.datetime, length: str, locale: Locale) -> str:
    # Cached like _date, keyed on the naive local time: two aware moments that are the same instant in
    # different zones compare equal, and would share a text that shows different clocks.
    return format_datetime(moment, format=length, locale=locale)


class Formatter:
    """money(), date() and datetime() for one reader and company, the locale found once: what a page
    showing many amounts and dates (the lead list, the board, a lead's history) builds once instead of per
    value."""

    def __init__(self, *, language: str, region: str = "", currency: str = ""):
        self.locale = locale_for(language, region)
        self.currency = (currency or "").strip().upper()

    def money(self, amount) -> str:
        number = _decimal(amount)
        return "" if number is None else _money(number, self.currency, self.locale)

    def date(self, value) -> str:
        if not isinstance(value, dt.date):
            return ""
        local = _local(value)
        return _date(local.date() if isinstance(local, dt.datetime) else local, "short", self.locale)

    def datetime(self, value) -> str:
        """What datetime() writes (short): the moment in the current time zone."""
        if not isinstance(value, dt.datetime):
            return ""
        local = _local(value)
        if local.tzinfo is None:
            return format_datetime(local, format="short", locale=self.locale)
        return _datetime(local.replace(tzinfo=None, microsecond=0), "short", self.locale)


@lru_cache(maxsize=1)
def _current_codes() -> tuple[str, ...]:
    codes: set[str] = set()
    for territory in Locale.parse("en").territories:
        if len(territory) == 2 and territory.isalpha():
            codes.update(get_territory_currencies(territory))
    return tuple(sorted(codes))


def currency_codes() -> tuple[str, ...]:
    """The ISO 4217 codes of the currencies some country uses today (CLDR), sorted."""
    return _current_codes()


def currency_choices(language: str) -> list[tuple[str, str]]:
    """(code, 'EUR · euro') for each current currency, named in `language`."""
    locale = locale_for(language)
    return [(code, f"{code} · {get_currency_name(code, locale=locale)}") for code in currency_codes()]
