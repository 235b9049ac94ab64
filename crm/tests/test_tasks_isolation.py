"""Background tasks run in the schema they were sent from (tenant-schemas-celery puts it in a header; the
real worker is checked in core/tests/test_tasks.py), and ids are per schema: a task sent from globex with
an id of acme's reads and writes globex only.

`.apply()` runs the task here, through the same prerun hook that switches a worker to the header's schema.
The sender enters globex with `tenant_context` (a worker's hook sets the real tenant the same way)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from core.audit import audit_log
from core.models import AuditEntry
from core.tasks import audit_purge_task
from crm.models import ImportJob, Lead
from crm.services.imports import import_job_create
from crm.tasks import import_leads_task
from crm.tests.helpers import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ACME_FILE = csv_bytes("phone,name", "+34611000001,Acme Row One", "+34611000002,Acme Row Two")
GLOBEX_FILE = csv_bytes("phone,name", "+34622000001,Globex Row")


def _acme_queued_job(owner) -> ImportJob:
    with schema_context("acme"):
        job = import_job_create(name="acme.csv", data=ACME_FILE, actor=owner.user)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        return ImportJob.objects.get(pk=job.pk)


def _acme_snapshot(job_id: int) -> tuple:
    with schema_context("acme"):
        job = ImportJob.objects.get(pk=job_id)
        return job.status, job.processed_rows, job.created_count, Lead.objects.count()


def test_the_import_task_sent_from_globex_with_an_acme_job_id_does_nothing_to_acme(owner, globex):
    # Given a confirmed acme import, and no globex import with its id
    job = _acme_queued_job(owner)
    before = _acme_snapshot(job.pk)
    with tenant_context(globex):
        ImportJob.objects.filter(pk=job.pk).delete()

        # When the task is sent from globex with acme's job id
        result = import_leads_task.apply(args=[job.pk])

        assert (connection.schema_name, result.successful(), result.result) == ("globex", True, None)
        assert Lead.objects.count() == 0
    # Then acme's job is still waiting for its own worker run and no acme lead was created
    assert before == (ImportJob.Status.QUEUED, 0, 0, 0)
    assert _acme_snapshot(job.pk) == before


def test_a_globex_job_with_the_same_id_is_the_one_that_runs(owner, globex_owner, globex):
    # Given an acme import and a globex import that happen to share an id
    job = _acme_queued_job(owner)
    with tenant_context(globex):
        ImportJob.objects.filter(pk=job.pk).delete()
        twin = ImportJob(
            pk=job.pk, original_name="globex.csv", created_by=globex_owner.user, status=ImportJob.Status.QUEUED
        )
        twin.file.save("globex.csv", ContentFile(GLOBEX_FILE), save=False)
        twin.save()

        # When globex sends the task for that id
        result = import_leads_task.apply(args=[job.pk])

        # Then globex's own file was imported into globex
        assert result.result == {"status": ImportJob.Status.DONE, "created": 1, "duplicates": 0}
        assert list(Lead.objects.values_list("first_name", flat=True)) == ["Globex"]
    # And acme's job and leads are untouched
    assert _acme_snapshot(job.pk) == (ImportJob.Status.QUEUED, 0, 0, 0)


def test_the_task_carries_the_schema_it_was_sent_from_not_the_workers(owner, globex):
    job = _acme_queued_job(owner)

    with schema_context("globex"):
        result = import_leads_task.apply(args=[job.pk], headers={"_schema_name": "acme"})

    # Sent (by headers) from acme, it ran in acme, whatever schema the sender's connection had afterwards.
    assert result.result == {"status": ImportJob.Status.DONE, "created": 2, "duplicates": 0}
    assert _acme_snapshot(job.pk) == (ImportJob.Status.DONE, 2, 2, 2)
    with schema_context("globex"):
        assert Lead.objects.count() == 0


def test_the_audit_purge_run_in_globex_leaves_acmes_old_entries(acme, globex):
    long_ago = timezone.now() - timedelta(days=1000)
    ids = {}
    for schema in ("acme", "globex"):
        with schema_context(schema):
            entry = audit_log(action=f"{schema}.old", object_repr="old")
            AuditEntry.objects.filter(pk=entry.pk).update(created_at=long_ago)
            ids[schema] = entry.pk

    with schema_context("globex"):
        result = audit_purge_task.apply(kwargs={"days": 30})
        assert not AuditEntry.objects.filter(pk=ids["globex"], action="globex.old").exists()

    assert result.result >= 1
    with schema_context("acme"):
        assert AuditEntry.objects.filter(pk=ids["acme"], action="acme.old").exists()


def test_the_bulk_task_sent_from_globex_with_an_acme_job_id_does_nothing_to_acme(owner, acme, globex):
    from crm.models import BulkJob
    from crm.tasks import bulk_leads_task
    from crm.tests.factories import LeadFactory

    # Given a queued acme bulk job tagging an acme lead, and no globex job with its id
    with tenant_context(acme):
        lead = LeadFactory()
        job = BulkJob.objects.create(
            action="tag", params={"tag": "acme-only"}, lead_ids=[lead.pk], total=1, created_by=owner.user
        )
    with tenant_context(globex):
        BulkJob.objects.filter(pk=job.pk).delete()

        # When the task is sent from globex with acme's job id
        result = bulk_leads_task.apply(args=[job.pk])

        assert (connection.schema_name, result.successful(), result.result) == ("globex", True, None)
    # Then acme's job still waits and its lead has no tag
    with schema_context("acme"):
        assert BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.QUEUED
        assert not Lead.objects.get(pk=lead.pk).tags.exists()
