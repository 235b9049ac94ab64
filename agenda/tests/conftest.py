"""Agenda fixtures: a company in a known time zone, a fixed clock, sellers with hours, a service, a lead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from agenda.clients.fakes import reset_fake_stores
from agenda.tests.factories import every_day, make_service, rules, set_hours
from crm.tests.factories import LeadFactory
from tenants.models import Role


class Clock:
    def __init__(self, monkeypatch):
        self.now = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """timezone.now() is 2027-03-01 08:00 UTC (a Monday) until the test moves it."""
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_fake_google():
    reset_fake_stores()
    yield
    reset_fake_stores()


@pytest.fixture
def madrid(tenant):
    tenant.timezone = "Europe/Madrid"
    tenant.calendar_provider = "local"
    tenant.save(update_fields=["timezone", "calendar_provider"])
    rules(min_notice_minutes=60, max_horizon_days=365, slot_minutes=30)
    return tenant


@pytest.fixture
def seller_a(acme, make_member):
    return make_member(acme, Role.SELLER, full_name="Ana Seller")


@pytest.fixture
def seller_b(acme, make_member):
    return make_member(acme, Role.SELLER, full_name="Bruno Seller")


@pytest.fixture
def service(madrid, seller_a, seller_b):
    set_hours(seller_a, every_day(("09:00", "13:00"), ("15:00", "18:00")))
    set_hours(seller_b, every_day(("10:00", "14:00")))
    return make_service(sellers=[seller_a, seller_b], duration=30)


@pytest.fixture
def lead(madrid, seller_a):
    return LeadFactory(seller=seller_a.user, phone="+34600000001")
