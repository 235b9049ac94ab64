"""The display filters of CRM pages: amounts in the reader's convention, phones as people read them."""

from decimal import Decimal

import pytest
from django.utils import translation

from crm.templatetags.crm_display import language_name, money, percent, phone


@pytest.mark.parametrize(
    ("language", "value", "currency", "shown"),
    [
        ("en", Decimal("2429500"), "EUR", "€2,429,500"),
        ("en", Decimal("1234.56"), "USD", "$1,235"),
        ("en", Decimal("-50"), "GBP", "-£50"),
        ("en", 1200, "CHF", "CHF\xa01,200"),
        ("es", Decimal("2429500"), "EUR", "2\xa0429\xa0500\xa0€"),
        ("es", 0, "eur", "0\xa0€"),
        ("fr", Decimal("12500"), "USD", "12\xa0500\xa0$"),
        ("fr", 12500, "", "12\xa0500"),
    ],
)
def test_money_follows_the_readers_language(language, value, currency, shown):
    with translation.override(language):
        assert money(value, currency) == shown


def test_money_of_something_that_is_not_a_number_is_empty():
    assert money("abc", "EUR") == ""


@pytest.mark.parametrize(("language", "shown"), [("en", "50.9%"), ("es", "50,9\xa0%"), ("fr", "50,9\xa0%")])
def test_percent_follows_the_readers_language(language, shown):
    with translation.override(language):
        assert percent(50.9) == shown
        assert percent(None) == "—"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+34612345678", "+34 612 34 56 78"),
        ("+14155550123", "+1 415-555-0123"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("612345678", "612345678"),
        ("+", "+"),
        ("", ""),
    ],
)
def test_phones_are_shown_grouped_the_international_way(stored, shown):
    assert phone(stored) == shown


def test_language_codes_are_named_in_the_readers_language():
    with translation.override("fr"):
        assert language_name("es") == "Espagnol"
        assert language_name("EN") == "Anglais"
        assert language_name("pt") == "pt"
        assert language_name("") == ""
