"""The demo agenda: services, hours, appointments past and future for each seller that never overlap,
some tasks, one seller on time off; idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import tenant_context

from agenda import demo
from agenda.models import Appointment, Service, StageAlert, Task, TimeOff, WorkingHours
from crm import demo as crm_demo
from tenants.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_sellers(acme, make_member):
    return [
        make_member(acme, role, email=f"{key}@acme.test")
        for key, role in (("owner", Role.OWNER), ("seller1", Role.SELLER), ("seller2", Role.SELLER))
    ]


def test_demo_agenda(acme, demo_sellers):
    with tenant_context(acme):
        crm_demo.seed(tenant=acme, stdout=StringIO())
        seeded = demo.seed(tenant=acme, stdout=StringIO())

        assert seeded == Appointment.objects.count() > 100
        assert Service.objects.count() == 3
        assert WorkingHours.objects.values("seller_id").distinct().count() == 3
        now = timezone.now()
        per_seller = Appointment.objects.values("seller_id").annotate(n=Count("id"))
        for member in demo_sellers:
            mine = Appointment.objects.filter(seller_id=member.user_id)
            assert mine.filter(start__lt=now).exists()
            assert mine.filter(start__gt=now).exists()
        assert len(per_seller) == 3
        assert set(Appointment.objects.filter(start__lt=now).values_list("status", flat=True)) <= {
            "completed",
            "no_show",
            "cancelled",
        }
        assert Task.objects.count() == 15
        assert TimeOff.objects.count() == 1
        assert StageAlert.objects.count() == 1
        again = StringIO()
        assert demo.seed(tenant=acme, stdout=again) == 0
        assert "already present" in again.getvalue()
