"""Amounts, unit prices, quantities, percentages and dates of sales documents as the reader writes them:
core.formatting (Babel) in the active language and the company's country, so the pages, the PDFs and the
rest of the product agree (`€1,130.50` in en_US, `1.130,50 €` in es_ES, `1 130,50 €` in fr). What
documents need on top: amounts rounded half up (as the documents compute them) before they are written,
unit prices with the decimals they have (up to four), and tax rates with theirs (8.875 %)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_percent
from django.db import connection
from django.utils.translation import get_language

from core import formatting
from crm.documents_math import round_money

_LAST_ZERO = re.compile(r"0(?=[^0]*$)")


def _reader() -> dict[str, str]:
    """The active language, in the country of the company the connection is in."""
    tenant = getattr(connection, "tenant", None)
    return {"language": get_language() or formatting.DEFAULT_LANGUAGE, "region": getattr(tenant, "country", "") or ""}


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def format_amount(value, currency: str) -> str:
    """An amount in `currency`, rounded half up to its minor unit, as the reader writes money."""
    amount = _decimal(value)
    if amount is None:
        return ""
    code = (currency or "").upper()
    return formatting.money(round_money(amount, code) if code else amount, code, **_reader())


def format_unit_price(value, currency: str) -> str:
    """A unit price with at least the currency's decimals and more when it has them (`€0.1234`)."""
    price = _decimal(value)
    if price is None:
        return ""
    code = (currency or "").upper()
    if not code:
        return format_quantity(price)
    locale = formatting.locale_for(**_reader())
    return format_currency(price.normalize(), code, locale=locale, decimal_quantization=False)


def format_quantity(value) -> str:
    """A quantity without trailing zeros: `3`, `2.5` / `2,5`, `1,250` / `1.250`."""
    quantity = _decimal(value)
    if quantity is None:
        return ""
    return format_decimal(quantity.normalize(), format="#,##0.###", locale=formatting.locale_for(**_reader()))


def format_percent(value) -> str:
    """A rate given in percent with the decimals it has, up to three: `21%`, `8,875 %`."""
    rate = _decimal(value)
    if rate is None:
        return ""
    locale = formatting.locale_for(**_reader())
    pattern = _LAST_ZERO.sub("0.###", locale.percent_formats[None].pattern, count=1)
    return babel_percent(rate / 100, format=pattern, locale=locale)


def format_date(value: dt.date | None) -> str:
    return formatting.date(value, **_reader()) if value else ""


def input_number(value) -> str:
    """A number as an input shows it for editing: plain, with a point, no trailing zeros (`12.5`)."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text
