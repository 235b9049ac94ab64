"""Data migrations, run on rows written the old way."""

import importlib
import logging
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from crm.models import Lead
from crm.search import search_text_for
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

renormalize = importlib.import_module("crm.migrations.0005_renormalize_lead_phones").renormalize_phones


def _run() -> None:
    renormalize(apps, SimpleNamespace(connection=connection))


def test_phones_stored_the_old_way_get_their_canonical_form_and_search_text(tenant):
    argentine = LeadFactory(phone="+541112345678", first_name="Ana", last_name="Paz", email="", company="")
    spanish = LeadFactory(phone="+34612345678")

    _run()

    argentine.refresh_from_db()
    assert argentine.phone == "+5491112345678"
    assert argentine.search_text == search_text_for(
        first_name="Ana", last_name="Paz", email="", company="", phone="+5491112345678"
    )
    assert Lead.objects.get(pk=spanish.pk).phone == "+34612345678"


def test_a_lead_whose_canonical_phone_is_taken_keeps_its_phone_and_is_logged(tenant, caplog):
    first = LeadFactory(phone="+5491112345678")
    second = LeadFactory(phone="+541112345678")
    third = LeadFactory(phone="+543514123456")

    with caplog.at_level(logging.WARNING, logger="crm.migrations"):
        _run()

    assert Lead.objects.get(pk=first.pk).phone == "+5491112345678"
    assert Lead.objects.get(pk=second.pk).phone == "+541112345678"
    assert Lead.objects.get(pk=third.pk).phone == "+5493514123456"
    assert [record.getMessage() for record in caplog.records] == [
        f"lead {second.pk}: phone left as it is, its canonical form belongs to lead {first.pk} (not merged)"
    ]
