"""CSV imports of leads: upload (read, mapped by its headers or as last time, waiting in PREVIEW), the
mapping step (which column fills which field, who gets rows without a seller), confirmation (queued for
a worker, the mapping remembered for files with the same headers), the worker's run (batches, progress,
warnings and per-row errors), and discarding an unconfirmed upload."""

from __future__ import annotations

import logging
import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.csvfiles import MAX_IMPORT_BYTES, Sheet, read_sheet
from crm.importing.checking import Person, RowCheck, RowChecker
from crm.importing.columns import FIELDS, auto_mapping, headers_key, label
from crm.models import ImportJob, ImportMapping, Lead, Stage
from crm.services.leads import DuplicateLead, lead_create, next_round_robin_seller_id

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_ERRORS = 500


def _zone(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def import_people() -> list[Person]:
    """Who a row's seller column may name: the company's active sellers and owners."""
    from crm.selectors.leads import assignable_members

    members = assignable_members(tenant=current_tenant())
    return [Person(member.user_id, member.user.email, member.user.full_name) for member in members]


def row_checker() -> RowChecker:
    tenant = current_tenant()
    return RowChecker(
        region=tenant.country,
        stages=list(Stage.objects.all()),
        people=import_people(),
        zone=_zone(tenant),
        value_limit=getattr(tenant, "lead_value_confirm_above", None),
        currency=tenant.currency,
    )


def job_sheet(job: ImportJob) -> Sheet:
    """The job's stored file, read with the job's mapping. Raises ApplicationError or OSError."""
    with job.file.open("rb") as stored:
        sheet = read_sheet(stored.read())
    return sheet.mapped(job.mapping) if job.mapping else sheet


def import_job_create(*, name: str, data: bytes, actor) -> ImportJob:
    """Checks the file can be read (size, encoding, some rows) and stores it in a job waiting for the
    mapping step and confirmation. Columns are mapped as they were last time for a file with the same
    headers, else by their names. Raises ApplicationError, storing nothing, when the file cannot be read."""
    if not name.lower().endswith(".csv"):
        raise ApplicationError(_("Upload a .csv file (in your spreadsheet: File › Save as › CSV)."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ApplicationError(_("The file is larger than 5 MB. Split it into smaller files."))
    sheet = read_sheet(data)
    remembered = ImportMapping.objects.filter(headers_key=headers_key(sheet.headers)).first()
    mapping = auto_mapping(sheet.headers)
    if remembered is not None and len(remembered.fields) == len(sheet.headers):
        mapping = [field if field in FIELDS else None for field in remembered.fields]
    job = ImportJob(
        original_name=name[:255],
        created_by=actor,
        total_rows=len(sheet.rows),
        headers=sheet.headers,
        mapping=mapping,
    )
    job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    job.save()
    return job


def _check_mapping(mapping: list[str | None], columns: int) -> list[str | None]:
    if len(mapping) != columns:
        raise ApplicationError(_("Choose a field (or “Ignore”) for every column."))
    unknown = [field for field in mapping if field and field not in FIELDS]
    if unknown:
        raise ApplicationError(_("Choose a field (or “Ignore”) for every column."))
    chosen = [field for field in mapping if field]
    twice = sorted({field for field in chosen if chosen.count(field) > 1}, key=list(FIELDS).index)
    if twice:
        raise ApplicationError(
            _("Only one column can fill %(fields)s.") % {"fields": ", ".join(label(field) for field in twice)}
        )
    if "phone" not in chosen:
        raise ApplicationError(_("Choose the column that holds the phone: every lead needs one."))
    return list(mapping)


@transaction.atomic
def import_job_set_mapping(
    *,
    job: ImportJob,
    mapping: list[str | None],
    actor,
    assignment: str = ImportJob.Assignment.RULE,
    assign_to_id: int | None = None,
) -> ImportJob:
    """The mapping step: which lead field each column fills, and who gets the rows that name no seller.
    Only while the job waits for confirmation. Raises ApplicationError, changing nothing, when a field is
    filled twice, no column is the phone, or `assign_to_id` cannot own leads."""
    from crm.services.leads import validate_seller

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise ApplicationError(_("This import has already been started."))
    job.mapping = _check_mapping(mapping, len(job.headers))
    if assignment not in ImportJob.Assignment.values:
        raise ApplicationError(_("Choose who gets the rows without a seller."))
    if assignment == ImportJob.Assignment.SELLER:
        if assign_to_id is None:
            raise ApplicationError(_("Choose the person who gets the rows without a seller."))
        validate_seller(assign_to_id)
    job.assignment = assignment
    job.assign_to_id = assign_to_id if assignment == ImportJob.Assignment.SELLER else None
    job.save(update_fields=["mapping", "assignment", "assign_to", "updated_at"])
    return job


def _remember_mapping(job: ImportJob, actor) -> None:
    key = headers_key(job.headers)
    ImportMapping.objects.update_or_create(
        headers_key=key, defaults={"headers": job.headers, "fields": job.mapping, "updated_by": actor}
    )


@transaction.atomic
def import_job_confirm(*, job: ImportJob, actor) -> ImportJob:
    """PREVIEW -> QUEUED, and the worker is asked to run it once this transaction commits. The mapping is
    remembered for the next file with the same headers."""
    from crm.tasks import import_leads_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise ApplicationError(_("This import has already been started."))
    _check_mapping(job.mapping, len(job.headers))
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status", "updated_at"])
    _remember_mapping(job, actor)
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


def importer_is_seller(job: ImportJob) -> bool:
    from tenants.models import Role
    from tenants.selectors import active_members

    if job.created_by_id is None:
        return False
    sellers = active_members(tenant=current_tenant(), roles=[Role.SELLER])
    return sellers.filter(user_id=job.created_by_id).exists()


class _Owner:
    """Who gets each imported row. A seller's imported leads are theirs (as when they create one); an
    owner's go to the seller a row names, else follow the rule chosen on the mapping step."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.seller_import = importer_is_seller(job)

    def __call__(self, row: RowCheck) -> tuple[int | None, bool]:
        """(seller id, whether lead_create applies the company's rule when it is None)."""
        if self.seller_import:
            return self.job.created_by_id, False
        if row.seller_id is not None:
            return row.seller_id, False
        rule = self.job.assignment
        if rule == ImportJob.Assignment.SELLER:
            return self.job.assign_to_id, False
        if rule == ImportJob.Assignment.ROUND_ROBIN:
            return next_round_robin_seller_id(), False
        return None, rule == ImportJob.Assignment.RULE


def _record(job: ImportJob, row: RowCheck, kind: str, messages: list[str]) -> None:
    if kind == "duplicate":
        job.duplicate_count += 1
    elif kind == "warning":
        job.warning_count += 1
    else:
        job.error_count += 1
    if len(job.errors) < MAX_ERRORS:
        job.errors.append({"row": row.number, "phone": row.values.get("phone", ""), "kind": kind, "messages": messages})


def _after_create(lead: Lead, row: RowCheck) -> None:
    """Dates and the lost reason the file gives, which lead_create does not take."""
    values = dict(row.after)
    if not lead.stage.is_closed:
        values.pop("closed_at", None)
    if lead.stage.kind != Stage.Kind.LOST:
        values.pop("lost_reason", None)
    since = values.get("closed_at") or values.get("created_at")
    if since is not None:
        values["stage_changed_at"] = since
    if values:
        Lead.objects.filter(pk=lead.pk).update(**values)


def _import_row(job: ImportJob, row: RowCheck, seen: dict[str, int], owner: _Owner) -> None:
    seller_id, auto_assign = owner(row)
    fields = dict(row.fields)
    source = fields.pop("source", Lead.Source.IMPORT)
    try:
        with transaction.atomic():
            lead = lead_create(
                actor=job.created_by,
                phone=row.phone,
                stage=row.stage,
                seller_id=seller_id,
                tags=row.tags,
                auto_assign=auto_assign,
                announce=False,
                source=source,
                **fields,
            )
            _after_create(lead, row)
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
        if row.warnings:
            _record(job, row, "warning", row.warnings)


def _import_batch(job: ImportJob, rows: list[RowCheck], seen: dict[str, int], owner: _Owner) -> None:
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
                _import_row(job, row, seen, owner)
        job.processed_rows += len(rows)
        job.save(
            update_fields=[
                "processed_rows", "created_count", "duplicate_count", "error_count", "warning_count", "errors",
                "updated_at",
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
    """The worker's part. Reads the stored file with the job's mapping and imports its rows in batches of
    BATCH_SIZE, each batch in one transaction with the job's counters, so progress is visible while it runs
    and a retry resumes after the last committed batch (a row already imported would anyway count as a
    duplicate, never twice). Rows whose phone is already a lead, or repeats an earlier row, are skipped as
    duplicates; rows without a usable phone are rejected; rows with a fixable problem are imported and
    counted as warnings (the first MAX_ERRORS of all three listed with their row number). Ends DONE, or
    FAILED with the reason when the file cannot be read. A job not confirmed or already finished is left
    alone."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status", "updated_at"])
    try:
        sheet = job_sheet(job)
    except ApplicationError as error:
        return _fail(job, error.message)
    except OSError:
        logger.exception("import file unreadable", extra={"job": job.pk})
        return _fail(job, _("The uploaded file could not be read. Upload it again."))
    checker = row_checker()
    owner = _Owner(job)
    records = list(sheet.records())
    seen: dict[str, int] = {}
    for start in range(job.processed_rows, len(records), BATCH_SIZE):
        rows = [checker.check(number, values) for number, values in records[start : start + BATCH_SIZE]]
        _import_batch(job, rows, seen, owner)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.total_rows = len(records)
    job.save(update_fields=["status", "finished_at", "total_rows", "updated_at"])
    audit_log(
        action="lead.import.done",
        obj=job,
        changes={
            "created": {"before": None, "after": job.created_count},
            "warnings": {"before": None, "after": job.warning_count},
            "duplicates": {"before": None, "after": job.duplicate_count},
            "errors": {"before": None, "after": job.error_count},
        },
    )
    return job
