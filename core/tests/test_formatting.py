"""Money, numbers and dates in the reader's language and the company's country (Babel), cents kept."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.utils import timezone, translation

from core import formatting
from tenants.models import Tenant

NBSP, NNBSP = "\xa0", "\u202f"


@pytest.mark.parametrize(
    ("language", "region", "amount", "currency", "shown"),
    [
        # cents kept
        ("es", "ES", Decimal("1500.50"), "EUR", f"1.500,50{NBSP}€"),
        ("en", "ES", Decimal("1500.50"), "EUR", f"1.500,50{NBSP}€"),
        ("fr", "ES", Decimal("1500.50"), "EUR", f"1{NNBSP}500,50{NBSP}€"),
        ("fr", "FR", Decimal("12500"), "USD", f"12{NNBSP}500,00{NBSP}$US"),
        ("en", "US", Decimal("1500.50"), "USD", "$1,500.50"),
        ("en", "", Decimal("1500.5"), "EUR", "€1,500.50"),
        ("es", "MX", Decimal("1500.5"), "MXN", "$1,500.50"),
        ("en", "MX", Decimal("1500.5"), "MXN", "MX$1,500.50"),
        ("es", "ES", "1234.56", "usd", f"1.234,56{NBSP}US$"),
        # negative and zero
        ("es", "ES", Decimal("-1500.5"), "EUR", f"-1.500,50{NBSP}€"),
        ("en", "GB", Decimal("-50"), "GBP", "-£50.00"),
        ("fr", "FR", Decimal("-0.5"), "EUR", f"-0,50{NBSP}€"),
        ("fr", "FR", 0, "EUR", f"0,00{NBSP}€"),
        ("en", "US", Decimal("0"), "USD", "$0.00"),
        ("es", "ES", 0, "EUR", f"0,00{NBSP}€"),
        # a currency without cents; no currency at all
        ("es", "CL", Decimal("1500"), "CLP", "$1.500"),
        ("es", "ES", Decimal("1500.5"), "", "1.500,50"),
    ],
)
def test_money_in_the_readers_language_and_the_companys_country(language, region, amount, currency, shown):
    assert formatting.money(amount, currency, language=language, region=region) == shown


@pytest.mark.parametrize("value", ["abc", None, "", "NaN", "Infinity", True, object()])
def test_money_of_something_that_is_not_a_number_is_empty(value):
    assert formatting.money(value, "EUR", language="es", region="ES") == ""


@pytest.mark.parametrize(
    ("language", "region", "shown"),
    [
        ("en", "ES", "03/12/2026"),  # an English speaker at a Spanish company: day first
        ("es", "ES", "3/12/26"),
        ("fr", "ES", "03/12/2026"),  # no fr_ES in CLDR: French
        ("fr", "FR", "03/12/2026"),
        ("en", "US", "12/3/26"),
        ("es", "MX", "03/12/26"),
        ("en", "MX", "03/12/2026"),  # no en_MX: international English, day first
        ("en", "", "12/3/26"),
    ],
)
def test_dates_follow_the_readers_language_in_the_companys_region(language, region, shown):
    assert formatting.date(dt.date(2026, 12, 3), language=language, region=region) == shown


@pytest.mark.parametrize(
    ("language", "region", "shown"),
    [
        ("en", "ES", "03/12/2026, 00:30"),
        ("es", "ES", "3/12/26, 0:30"),
        ("fr", "FR", "03/12/2026 00:30"),
        ("en", "US", f"12/3/26, 12:30{NNBSP}AM"),
    ],
)
def test_moments_are_shown_in_the_current_time_zone(language, region, shown):
    moment = dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)

    with timezone.override(zoneinfo.ZoneInfo("Europe/Madrid")):
        assert formatting.datetime(moment, language=language, region=region) == shown
        # a date taken from that moment is the local day, not UTC's
        assert formatting.date(moment, language=language, region=region).startswith(shown.split(",")[0].split()[0])


def test_dates_of_nothing_are_empty():
    assert formatting.date(None, language="en") == ""
    assert formatting.date("2026-12-03", language="en") == ""
    assert formatting.datetime(dt.date(2026, 12, 3), language="en") == ""


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("en", 50.9, "50.9%"),
        ("es", 50.9, f"50,9{NBSP}%"),
        ("fr", Decimal("33.333"), f"33,3{NBSP}%"),
        ("en", 0, "0%"),
        ("en", None, "—"),
    ],
)
def test_percentages(language, value, shown):
    assert formatting.percent(value, language=language) == shown


def test_numbers_with_and_without_fixed_decimals():
    assert formatting.number(Decimal("2.5"), language="es", region="ES") == "2,5"
    assert formatting.number(12345.678, language="en", region="US", decimals=1) == "12,345.7"
    assert formatting.number(12345.678, language="fr", region="FR", decimals=0) == f"12{NNBSP}346"
    assert formatting.number("x", language="en") == ""


def test_an_unknown_language_or_country_falls_back_to_a_known_locale():
    assert str(formatting.locale_for("es-mx", "MX")) == "es_MX"
    assert str(formatting.locale_for("xx", "ZZ")) == "en"
    assert str(formatting.locale_for("", "")) == "en"
    assert str(formatting.locale_for("fr", "E1")) == "fr"


def test_currency_choices_are_current_iso_codes_named_in_the_language():
    codes = formatting.currency_codes()

    assert {"EUR", "USD", "MXN", "ARS", "COP", "CLP", "PEN", "GBP"} <= set(codes)
    assert "ESP" not in codes  # the peseta is history
    assert all(len(code) == 3 and code.isupper() for code in codes)
    assert dict(formatting.currency_choices("es"))["EUR"] == "EUR · euro"
    assert dict(formatting.currency_choices("fr"))["MXN"] == "MXN · peso mexicain"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", f"1.500,50{NBSP}€|03/12/2026|50,9%|2,5"),  # English, with Spain's separators
        ("es", f"1.500,50{NBSP}€|3/12/26|50,9{NBSP}%|2,5"),
        ("fr", f"1{NNBSP}500,50{NBSP}€|03/12/2026|50,9{NBSP}%|2,5"),
    ],
)
def test_the_filters_read_the_active_language_and_the_tenants_country_and_currency(acme, language, shown):
    Tenant.objects.filter(pk=acme.pk).update(country="ES", currency="EUR")
    acme.refresh_from_db()
    template = Template(
        "{% load formatting %}{{ amount|money }}|{{ day|short_date }}|{{ rate|percent }}|{{ days|number }}"
    )
    connection.set_tenant(acme)

    with translation.override(language):
        rendered = template.render(
            Context({"amount": Decimal("1500.50"), "day": dt.date(2026, 12, 3), "rate": 50.9, "days": 2.5})
        )

    assert rendered == shown


@pytest.mark.django_db
def test_a_currency_given_to_the_filter_wins_over_the_tenants(acme):
    Tenant.objects.filter(pk=acme.pk).update(country="US", currency="EUR")
    acme.refresh_from_db()
    connection.set_tenant(acme)

    with translation.override("en"):
        rendered = Template('{% load formatting %}{{ 12|money:"USD" }} {{ 12|money }}').render(Context())

    assert rendered == "$12.00 €12.00"
