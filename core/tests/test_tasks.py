"""Celery: a real worker on the Redis broker runs each task in the schema it was queued from; beat's
schedule names registered tasks and its tenant-aware scheduler loads.

The worker thread has its own database connection, outside the test's transaction, and looks the tenant
up there: the session tenants (acme, globex) are committed, so these tests need no transactional_db
(which would flush them). Nothing here depends on rows written inside a test.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.beat import Scheduler
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import app
from core.models import AuditEntry
from core.tasks import audit_purge_task, current_schema_task

RESULT_TIMEOUT = 10


@pytest.fixture
def worker(db):
    """A solo-pool worker on this run's queue, started from a thread of its own: starting a worker closes
    the starting thread's database connections (Celery's Django fix-up), which would end the test's
    transaction."""
    started, stop, failure = threading.Event(), threading.Event(), []

    def run():
        try:
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=RESULT_TIMEOUT):
                started.set()
                stop.wait()
        except BaseException as error:
            failure.append(error)
            started.set()

    thread = threading.Thread(target=run, name="celery-test-worker")
    thread.start()
    assert started.wait(RESULT_TIMEOUT), "the worker did not start"
    if failure:
        raise failure[0]
    yield
    stop.set()
    thread.join(RESULT_TIMEOUT * 2)
    assert not failure, failure


def test_task_runs_in_the_schema_it_was_queued_from(worker):
    # Given tasks queued from inside acme and from inside globex, interleaved
    results = []
    for schema in ["acme", "globex", "acme", "globex"]:
        with schema_context(schema):
            results.append(current_schema_task.delay())

    # When the worker runs them, then each ran in its own tenant's schema
    assert [result.get(timeout=RESULT_TIMEOUT) for result in results] == ["acme", "globex", "acme", "globex"]


def test_task_queued_outside_any_tenant_runs_in_public(worker):
    with schema_context("public"):
        result = current_schema_task.delay()

    assert result.get(timeout=RESULT_TIMEOUT) == "public"


def test_audit_purge_deletes_only_entries_past_retention_in_the_current_tenant(acme, globex, settings):
    # Given, in acme and in globex, one entry past the retention and one just inside it
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    for tenant in (acme, globex):
        with schema_context(tenant.schema_name):
            for action, age in (("old.entry", 31), ("recent.entry", 29)):
                entry = AuditEntry.objects.create(action=action)
                AuditEntry.objects.filter(pk=entry.pk).update(created_at=now - timedelta(days=age))

    # When the purge runs in acme
    with schema_context("acme"):
        deleted = audit_purge_task.apply().get()
        acme_left = sorted(AuditEntry.objects.filter(action__endswith=".entry").values_list("action", flat=True))

    # Then only acme's old entry is gone
    with schema_context("globex"):
        globex_left = sorted(AuditEntry.objects.filter(action__endswith=".entry").values_list("action", flat=True))
    assert deleted == 1
    assert acme_left == ["recent.entry"]
    assert globex_left == ["old.entry", "recent.entry"]


def test_beat_schedule_names_registered_tasks_with_valid_schedules():
    app.loader.import_default_modules()

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        # Wall-clock schedules only: an interval restarts whenever beat starts without its schedule file.
        assert isinstance(entry["schedule"], crontab), name
        assert set(entry) <= {"task", "schedule", "args", "kwargs", "options", "tenant_schemas"}, name
    assert settings.CELERY_BEAT_SCHEDULE["audit-purge-old-entries"]["schedule"] == crontab(hour=3, minute=30)


def test_beat_scheduler_is_tenant_aware_and_expands_entries_to_all_tenants(tmp_path):
    scheduler_class = symbol_by_name(settings.CELERY_BEAT_SCHEDULER)

    scheduler = scheduler_class(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    scheduler.setup_schedule()

    assert issubclass(scheduler_class, Scheduler)
    entry = scheduler.schedule["audit-purge-old-entries@__all_tenants_only__"]
    assert entry.task == "core.tasks.audit_purge_task"
    assert entry.options["headers"] == {"_all_tenants_only": True}
    scheduler.close()


def test_beat_sends_a_due_entry_once_into_every_tenant_but_public(acme, globex, tmp_path, monkeypatch):
    scheduler = symbol_by_name(settings.CELERY_BEAT_SCHEDULER)(
        app=app, schedule_filename=str(tmp_path / "beat"), lazy=True
    )
    scheduler.setup_schedule()
    sent_from = []

    def apply_async(entry, **kwargs):
        sent_from.append(connection.schema_name)
        return SimpleNamespace(id=f"sent-in-{connection.schema_name}")

    monkeypatch.setattr(scheduler, "apply_async", apply_async)

    scheduler.apply_entry(scheduler.schedule["audit-purge-old-entries@__all_tenants_only__"])

    assert sorted(sent_from) == ["acme", "globex"]
    scheduler.close()
