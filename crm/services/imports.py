"""CSV imports of leads: upload (checked and stored, waiting in PREVIEW), confirmation (queued for a
worker), the worker's run (batches, progress, per-row errors), and discarding an unconfirmed upload."""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.csvfiles import MAX_IMPORT_BYTES, RowCheck, RowChecker, read_sheet
from crm.models import ImportJob, Lead, Stage
from crm.services.leads import DuplicateLead, lead_create

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_ERRORS = 500


def row_checker() -> RowChecker:
    return RowChecker(region=current_tenant().country, stages=list(Stage.objects.all()))


def import_job_create(*, name: str, data: bytes, actor) -> ImportJob:
    """Checks the file can be imported (size, encoding, a phone column, some rows) and stores it in a job
    waiting for confirmation. Raises ApplicationError, storing nothing, when it cannot."""
    if not name.lower().endswith(".csv"):
        raise ApplicationError(_("Upload a .csv file (in your spreadsheet: File › Save as › CSV)."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ApplicationError(_("The file is larger than 5 MB. Split it into smaller files."))
    sheet = read_sheet(data)
    job = ImportJob(original_name=name[:255], created_by=actor, total_rows=len(sheet.rows))
    job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    job.save()
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, actor) -> ImportJob:
    """PREVIEW -> QUEUED, and the worker is asked to run it once this transaction commits."""
    from crm.tasks import import_leads_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise ApplicationError(_("This import has already been started."))
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status", "updated_at"])
    audit_log(
        action="lead.import",
        actor=actor,
        obj=job,
        changes={"rows": {"before": None, "after": job.total_rows}},
    )
    job_id = job.pk
    transaction.on_commit(lambda: import_leads_task.delay(job_id))
    return job


@transaction.atomic
def import_job_discard(*, job: ImportJob, actor) -> None:
    """Deletes an upload that was never confirmed, with its stored file."""
    if job.status != ImportJob.Status.PREVIEW:
        raise ApplicationError(_("Only an import waiting for confirmation can be discarded."))
    file_name = job.file.name
    job.delete()
    if file_name:
        transaction.on_commit(lambda: ImportJob.file.field.storage.delete(file_name))


def _import_seller_id(job: ImportJob) -> int | None:
    """A seller's imported leads are theirs (as when they create one); an owner's follow the tenant's rule."""
    from tenants.models import Role
    from tenants.selectors import active_members

    if job.created_by_id is None:
        return None
    is_seller = active_members(tenant=current_tenant(), roles=[Role.SELLER]).filter(user_id=job.created_by_id).exists()
    return job.created_by_id if is_seller else None


def _record(job: ImportJob, row: RowCheck, kind: str, messages: list[str]) -> None:
    if kind == "duplicate":
        job.duplicate_count += 1
    else:
        job.error_count += 1
    if len(job.errors) < MAX_ERRORS:
        job.errors.append({"row": row.number, "phone": row.values.get("phone", ""), "kind": kind, "messages": messages})


def _import_row(job: ImportJob, row: RowCheck, seen: dict[str, int], seller_id: int | None) -> None:
    try:
        with transaction.atomic():
            lead_create(
                actor=job.created_by,
                phone=row.phone,
                stage=row.stage,
                seller_id=seller_id,
                tags=row.tags,
                auto_assign=True,
                announce=False,
                source=Lead.Source.IMPORT,
                **row.fields,
            )
    except DuplicateLead:
        _record(job, row, "duplicate", [_("This phone is already a lead.")])
    except IntegrityError:
        # Created by someone else between our check and our insert: still a duplicate, not an error.
        _record(job, row, "duplicate", [_("This phone is already a lead.")])
    except ApplicationError as error:
        _record(job, row, "error", [error.message])
    except ValidationError as error:
        _record(job, row, "error", [str(message) for message in error.messages])
    else:
        job.created_count += 1
        seen[row.phone] = row.number


def _import_batch(job: ImportJob, rows: list[RowCheck], seen: dict[str, int], seller_id: int | None) -> None:
    existing = set(
        Lead.objects.filter(phone__in=[row.phone for row in rows if row.phone]).values_list("phone", flat=True)
    )
    with transaction.atomic():
        for row in rows:
            if row.errors:
                _record(job, row, "error", row.errors)
            elif row.phone in seen:
                _record(job, row, "duplicate", [_("Same phone as row %(row)s.") % {"row": seen[row.phone]}])
            elif row.phone in existing:
                _record(job, row, "duplicate", [_("This phone is already a lead.")])
            else:
                _import_row(job, row, seen, seller_id)
        job.processed_rows += len(rows)
        job.save(
            update_fields=[
                "processed_rows", "created_count", "duplicate_count", "error_count", "errors", "updated_at",
            ]
        )  # fmt: skip


def _fail(job: ImportJob, reason: str) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.failure_reason = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "failure_reason", "finished_at", "updated_at"])
    audit_log(action="lead.import.failed", obj=job, changes={"reason": {"before": None, "after": reason}})
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """The worker's part. Reads the stored file and imports its rows in batches of BATCH_SIZE, each batch in
    one transaction with the job's counters, so progress is visible while it runs and a retry resumes after
    the last committed batch (a row already imported would anyway count as a duplicate, never twice).
    Rows whose phone is already a lead, or repeats an earlier row, are skipped and counted as duplicates;
    invalid rows are counted and listed (the first MAX_ERRORS) with their row number. Ends DONE, or FAILED
    with the reason when the file cannot be read. A job not confirmed or already finished is left alone."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status", "updated_at"])
    try:
        with job.file.open("rb") as stored:
            sheet = read_sheet(stored.read())
    except ApplicationError as error:
        return _fail(job, error.message)
    except OSError:
        logger.exception("import file unreadable", extra={"job": job.pk})
        return _fail(job, _("The uploaded file could not be read. Upload it again."))
    checker = row_checker()
    seller_id = _import_seller_id(job)
    records = list(sheet.records())
    seen: dict[str, int] = {}
    for start in range(job.processed_rows, len(records), BATCH_SIZE):
        rows = [checker.check(number, values) for number, values in records[start : start + BATCH_SIZE]]
        _import_batch(job, rows, seen, seller_id)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.total_rows = len(records)
    job.save(update_fields=["status", "finished_at", "total_rows", "updated_at"])
    audit_log(
        action="lead.import.done",
        obj=job,
        changes={
            "created": {"before": None, "after": job.created_count},
            "duplicates": {"before": None, "after": job.duplicate_count},
            "errors": {"before": None, "after": job.error_count},
        },
    )
    return job
