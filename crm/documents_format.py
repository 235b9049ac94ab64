"""Amounts, quantities and percentages of sales documents as the reader writes them, in the active
language: `€1,234.50` / `1.234,50 €`, with the currency's own number of decimals. Used by the pages
(crm_documents template filters) and the PDFs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import get_language

from crm.documents_math import currency_digits, round_money
from crm.templatetags.crm_display import CURRENCY_SYMBOLS


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(value if value is not None and value != "" else 0)
    except (InvalidOperation, TypeError, ValueError):
        return None


def format_amount(value, currency: str, *, digits: int | None = None) -> str:
    """`€1,234.50` in English, `1.234,50 €` in Spanish, `1 234,50 €` in French; a code without a known
    symbol written out (`CHF 1,234.50`). `digits`: decimals to show instead of the currency's."""
    amount = _decimal(value)
    if amount is None:
        return ""
    code = (currency or "").upper()
    if digits is None:
        digits = currency_digits(code)
        amount = round_money(amount, code)
    number = number_format(amount, decimal_pos=digits, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(code, code)
    if not symbol:
        return number
    negative = number.startswith("-")
    number = number.lstrip("-")
    if _language() == "en":
        joiner = "" if code in CURRENCY_SYMBOLS else "\xa0"
        text = f"{symbol}{joiner}{number}"
    else:
        text = f"{number}\xa0{symbol}"
    return f"-{text}" if negative else text


def format_unit_price(value, currency: str) -> str:
    """A unit price with the currency's decimals, or more when it has them (up to four: `€0.1234`)."""
    price = _decimal(value)
    if price is None:
        return ""
    places = max(0, -price.normalize().as_tuple().exponent)
    return format_amount(price, currency, digits=min(4, max(currency_digits(currency), places)))


def format_quantity(value) -> str:
    """A quantity without trailing zeros: `3`, `2.5` / `2,5`, `1,250` / `1.250`."""
    quantity = _decimal(value)
    if quantity is None:
        return ""
    normalized = quantity.normalize()
    places = max(0, -normalized.as_tuple().exponent)
    return number_format(quantity, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_percent(value) -> str:
    """`21%` / `21 %`, `10.5%` / `10,5 %`."""
    number = format_quantity(value)
    if not number:
        return ""
    return f"{number}%" if _language() == "en" else f"{number}\xa0%"


def input_number(value) -> str:
    """A number as an input shows it for editing: plain, with a point, no trailing zeros (`12.5`)."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text
