"""Beat sends each scheduled task once per company, spread over the entry's window at stable offsets."""

from __future__ import annotations

import pytest
from celery.beat import ScheduleEntry

from config.celery import app
from core.beat import SpreadTenantScheduler, spread_offset

pytestmark = pytest.mark.django_db


def test_offsets_are_stable_and_spread_over_the_window():
    offsets = [spread_offset(f"company_{n}", "reminders", 600) for n in range(1000)]

    assert offsets == [spread_offset(f"company_{n}", "reminders", 600) for n in range(1000)]
    assert min(offsets) >= 0
    assert max(offsets) < 600
    # Roughly uniform: every tenth of the window gets between 5% and 15% of the companies.
    buckets = [sum(1 for o in offsets if i * 60 <= o < (i + 1) * 60) for i in range(10)]
    assert all(50 <= count <= 150 for count in buckets), buckets
    assert spread_offset("company_1", "reminders", 0) == 0


def test_each_company_gets_its_own_task_with_its_offset(acme, globex, tmp_path, monkeypatch):
    scheduler = SpreadTenantScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    sent = []

    def fake_apply_async(entry, producer=None, advance=False):
        from django.db import connection

        sent.append((connection.schema_name, entry.options["countdown"], "spread" in entry.options))

    monkeypatch.setattr(scheduler, "apply_async", fake_apply_async)
    entry = ScheduleEntry(
        name="purge", task="core.tasks.audit_purge_task", schedule=60, app=app,
        options={"spread": 300, "headers": {"_all_tenants_only": True}},
    )  # fmt: skip

    scheduler.apply_entry(entry)

    expected = {(schema, spread_offset(schema, "purge", 300), False) for schema in ("acme", "globex")}
    assert expected <= set(sent)
    assert "public" not in {schema for schema, _, _ in sent}
    assert entry.options["spread"] == 300  # the shared entry is left as it was


def test_a_platform_entry_is_sent_once_in_the_public_schema(acme, globex, tmp_path, monkeypatch):
    scheduler = SpreadTenantScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    sent = []

    def fake_apply_async(entry, producer=None, advance=False):
        from django.db import connection

        sent.append((connection.schema_name, dict(entry.options)))

    monkeypatch.setattr(scheduler, "apply_async", fake_apply_async)
    entry = ScheduleEntry(
        name="spares", task="tenants.tasks.spares_refill_task", schedule=60, app=app, options={"platform": True}
    )

    scheduler.apply_entry(entry)

    assert sent == [("public", {})]
    assert app.conf.beat_schedule["tenants-spare-schemas"]["options"] == {"platform": True}
