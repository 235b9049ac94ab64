"""The arithmetic of sales documents, in Decimal: line subtotals after discount, taxes grouped by rate and
the totals, rounded to the currency's minor unit (half up) the way the company chose (see
DocumentSettings.TaxRounding). No queries and no floats here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

HUNDRED = Decimal(100)
# ISO 4217 minor units of the currencies that do not use two decimals; every other code uses two.
CURRENCY_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
# The largest amount a line or a document may reach (the columns hold 12 digits before the point).
MAX_AMOUNT = Decimal("99999999999")

PER_RATE = "per_rate"
PER_LINE = "per_line"


def currency_digits(currency: str) -> int:
    return CURRENCY_DIGITS.get((currency or "").upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_digits(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """`value` rounded half up to the currency's minor unit: 2.675 EUR -> 2.68, 1234.5 JPY -> 1235."""
    return Decimal(value).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def line_subtotal(*, quantity: Decimal, unit_price: Decimal, discount: Decimal, currency: str) -> Decimal:
    """Quantity times unit price, less the discount (a percentage), rounded to the currency."""
    net = Decimal(quantity) * Decimal(unit_price) * (HUNDRED - Decimal(discount)) / HUNDRED
    return round_money(net, currency)


def tax_of(base: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(Decimal(base) * Decimal(rate) / HUNDRED, currency)


@dataclass(frozen=True)
class TaxGroup:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    untaxed: Decimal
    taxes: tuple[TaxGroup, ...]
    tax: Decimal
    total: Decimal


def _rate_key(rate: Decimal) -> Decimal:
    # 21, 21.0 and 21.000 are one rate (rates have up to three decimals: 8.875).
    return Decimal(rate).quantize(Decimal("0.001"))


def document_totals(lines: Iterable[tuple[Decimal, Decimal]], *, currency: str, rounding: str = PER_RATE) -> Totals:
    """Totals of lines given as (subtotal, tax rate) pairs, subtotals already rounded to the currency.

    Taxes are grouped by rate, lowest first. PER_RATE rounds each rate's tax once, on the sum of its
    bases (21 % of 0.12 + 0.12 + 0.12 = 0.0756 -> 0.08); PER_LINE rounds each line's tax, then adds
    them (0.0252 -> 0.03, three times: 0.09)."""
    bases: dict[Decimal, Decimal] = {}
    amounts: dict[Decimal, Decimal] = {}
    zero = round_money(Decimal(0), currency)
    for subtotal, rate in lines:
        key = _rate_key(rate)
        bases[key] = bases.get(key, zero) + Decimal(subtotal)
        if rounding == PER_LINE:
            amounts[key] = amounts.get(key, zero) + tax_of(subtotal, key, currency)
    groups = []
    for rate in sorted(bases):
        amount = amounts[rate] if rounding == PER_LINE else tax_of(bases[rate], rate, currency)
        groups.append(TaxGroup(rate=rate, base=round_money(bases[rate], currency), amount=amount))
    untaxed = round_money(sum((group.base for group in groups), zero), currency)
    tax = round_money(sum((group.amount for group in groups), zero), currency)
    return Totals(untaxed=untaxed, taxes=tuple(groups), tax=tax, total=untaxed + tax)


def parse_decimal(text, *, places: int) -> Decimal:
    """A number typed by a person: '1234.5', '1234,5', '1.234,50', '1,234.50', ' 12 ' -> Decimal, with at
    most `places` decimals. Raises ValueError for anything else (letters, NaN, infinity, exponents)."""
    raw = str(text if text is not None else "").strip().replace("\u00a0", "").replace(" ", "")
    if not raw:
        raise ValueError("empty")
    sign = ""
    if raw[0] in "+-":
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if not raw or any(char not in "0123456789.," for char in raw):
        raise ValueError(text)
    last = max(raw.rfind("."), raw.rfind(","))
    if last >= 0:
        whole, fraction = raw[:last], raw[last + 1 :]
        separators = {char for char in whole if char in ".,"}
        if separators and raw[last] in separators:
            # '1.234.567' or '1,234': the only separator kind groups thousands.
            if len(fraction) == 3 and all(len(part) == 3 for part in whole.replace(",", ".").split(".")[1:]):
                whole, fraction = raw.replace(".", "").replace(",", ""), ""
            else:
                raise ValueError(text)
        elif not separators and len(fraction) == 3 and raw[last] == "," and places < 3:
            raise ValueError(text)  # '1,234' for an amount: ambiguous, refused rather than guessed
        whole = whole.replace(".", "").replace(",", "")
    else:
        whole, fraction = raw, ""
    if not (whole or fraction) or not (whole + fraction).isdigit():
        raise ValueError(text)
    if len(fraction.rstrip("0")) > places:
        raise ValueError(text)
    try:
        value = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    except InvalidOperation as error:
        raise ValueError(text) from error
    return value
