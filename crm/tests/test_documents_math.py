from decimal import Decimal as D

import pytest

from crm.documents_math import (
    PER_LINE,
    PER_RATE,
    TaxGroup,
    currency_digits,
    document_totals,
    line_subtotal,
    parse_decimal,
    round_money,
)


def test_a_line_is_quantity_times_price_less_the_discount_rounded_half_up_to_the_currency():
    assert line_subtotal(quantity=D("3"), unit_price=D("19.99"), discount=D("10"), currency="EUR") == D("53.97")
    # 2.5 x 1.05 = 2.625 -> 2.63 (half up, not banker's 2.62)
    assert line_subtotal(quantity=D("2.5"), unit_price=D("1.05"), discount=D("0"), currency="EUR") == D("2.63")
    assert line_subtotal(quantity=D("1"), unit_price=D("1234.5"), discount=D("0"), currency="JPY") == D("1235")
    assert line_subtotal(quantity=D("1"), unit_price=D("1.2345"), discount=D("0"), currency="KWD") == D("1.235")
    assert line_subtotal(quantity=D("7"), unit_price=D("10"), discount=D("100"), currency="EUR") == D("0.00")


def test_totals_group_taxes_by_rate_with_discounts_and_several_rates():
    lines = [
        (line_subtotal(quantity=D("2"), unit_price=D("100"), discount=D("15"), currency="EUR"), D("21")),  # 170.00
        (line_subtotal(quantity=D("1"), unit_price=D("49.90"), discount=D("0"), currency="EUR"), D("10")),  # 49.90
        (line_subtotal(quantity=D("3"), unit_price=D("12.35"), discount=D("5"), currency="EUR"), D("21.00")),  # 35.20
        (line_subtotal(quantity=D("1"), unit_price=D("8"), discount=D("0"), currency="EUR"), D("0")),  # 8.00
    ]

    totals = document_totals(lines, currency="EUR")

    assert totals.taxes == (
        TaxGroup(rate=D("0.00"), base=D("8.00"), amount=D("0.00")),
        TaxGroup(rate=D("10.00"), base=D("49.90"), amount=D("4.99")),
        TaxGroup(rate=D("21.00"), base=D("205.20"), amount=D("43.09")),  # 43.092
    )
    assert (totals.untaxed, totals.tax, totals.total) == (D("263.10"), D("48.08"), D("311.18"))
    assert all(isinstance(value, D) for value in (totals.untaxed, totals.tax, totals.total))


def test_the_company_chooses_tax_rounding_per_rate_or_per_line():
    lines = [(D("0.12"), D("21"))] * 3

    assert document_totals(lines, currency="EUR", rounding=PER_RATE).tax == D("0.08")  # 0.0756
    assert document_totals(lines, currency="EUR", rounding=PER_LINE).tax == D("0.09")  # 0.0252 x 3, each 0.03
    assert document_totals(lines, currency="EUR", rounding=PER_LINE).total == D("0.45")


def test_no_lines_total_zero_in_the_currency():
    totals = document_totals([], currency="EUR")

    assert (totals.untaxed, totals.tax, totals.total, totals.taxes) == (D("0.00"), D("0.00"), D("0.00"), ())


def test_currency_minor_units():
    assert [currency_digits(code) for code in ("EUR", "usd", "JPY", "CLP", "KWD", "", "XYZ")] == [2, 2, 0, 0, 3, 2, 2]
    assert round_money(D("0.005"), "EUR") == D("0.01")
    assert round_money(D("-0.005"), "EUR") == D("-0.01")


@pytest.mark.parametrize(
    ("text", "places", "value"),
    [
        ("12", 2, D("12")),
        ("12.5", 2, D("12.5")),
        ("12,5", 2, D("12.5")),
        (" 1.234,56 ", 2, D("1234.56")),
        ("1,234.56", 2, D("1234.56")),
        ("1.234.567", 2, D("1234567")),
        ("1 234,5", 2, D("1234.5")),
        ("1,234", 3, D("1.234")),
        ("0.125", 3, D("0.125")),
        ("-3", 2, D("-3")),
        ("12.50", 2, D("12.50")),
    ],
)
def test_numbers_as_people_type_them(text, places, value):
    assert parse_decimal(text, places=places) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "1e5", "NaN", "Infinity", "1.2.3,4,5", "12.345", "1,234", "--1", "1,2,3", "\x00", "٣"]
)
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011
        parse_decimal(text, places=2)


def test_tax_rates_keep_three_decimals():
    totals = document_totals([(D("100.00"), D("8.875")), (D("50.00"), D("8.8750"))], currency="USD")

    assert totals.taxes == (TaxGroup(rate=D("8.875"), base=D("150.00"), amount=D("13.31")),)  # 13.3125
    assert totals.total == D("163.31")
