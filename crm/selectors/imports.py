"""Import reads: whose imports a member sees, and the preview of an uploaded file with its mapping."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from crm.importing.checking import RowCheck
from crm.importing.columns import label
from crm.models import ImportJob, Lead
from tenants.models import Membership, Role

PREVIEW_ROWS = 20


def visible_import_jobs(*, membership: Membership) -> QuerySet[ImportJob]:
    """Owners see every import; sellers their own."""
    jobs = ImportJob.objects.order_by("-created_at", "-id")
    if membership.role == Role.OWNER:
        return jobs
    if membership.role == Role.SELLER:
        return jobs.filter(created_by_id=membership.user_id)
    return jobs.none()


@dataclass(frozen=True)
class PreviewColumn:
    index: int
    header: str
    field: str | None
    sample: str  # the first value of the column in the file, to recognise it

    @property
    def label(self) -> str:
        return label(self.field)


@dataclass(frozen=True)
class PreviewRow:
    check: RowCheck
    cells: list[str]
    duplicate_of: Lead | None
    duplicate_row: int | None

    @property
    def ok(self) -> bool:
        return self.check.ok and self.duplicate_of is None and self.duplicate_row is None


@dataclass(frozen=True)
class Preview:
    columns: list[PreviewColumn]
    rows: list[PreviewRow]
    total_rows: int
    error: str = ""

    @property
    def has_phone(self) -> bool:
        return any(column.field == "phone" for column in self.columns)

    @property
    def complete(self) -> bool:
        """Whether the preview shows every row of the file, so its counts are those of the import."""
        return len(self.rows) >= self.total_rows

    @property
    def importable(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def with_warnings(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.check.warnings)

    @property
    def duplicates(self) -> int:
        return sum(1 for row in self.rows if row.check.ok and not row.ok)

    @property
    def invalid(self) -> int:
        return sum(1 for row in self.rows if not row.check.ok)


def _sample(rows: list[list[str]], index: int) -> str:
    for row in rows[:PREVIEW_ROWS]:
        if index < len(row) and row[index].strip():
            return row[index].strip()[:60]
    return ""


def import_preview(*, job: ImportJob, limit: int = PREVIEW_ROWS) -> Preview:
    """The columns with the field each fills and a sample value, and the first `limit` rows with what would
    happen to each: imported (with the warnings of what was fixed), skipped as a duplicate (of a lead or of
    an earlier row) or rejected with its errors. A few queries whatever the file's size."""
    from crm.services.imports import job_sheet, row_checker

    try:
        sheet = job_sheet(job)
    except (ApplicationError, OSError) as error:
        message = error.message if isinstance(error, ApplicationError) else _("The uploaded file could not be read.")
        return Preview(columns=[], rows=[], total_rows=0, error=message)
    columns = [
        PreviewColumn(index=index, header=header, field=field, sample=_sample(sheet.rows, index))
        for index, (header, field) in enumerate(zip(sheet.headers, sheet.mapping, strict=False))
    ]
    if not any(column.field == "phone" for column in columns):
        return Preview(columns=columns, rows=[], total_rows=len(sheet.rows))
    checker = row_checker()
    checks = [checker.check(number, values) for number, values in islice(sheet.records(), limit)]
    existing = Lead.objects.in_bulk([check.phone for check in checks if check.phone], field_name="phone")
    seen: dict[str, int] = {}
    rows = []
    for check, cells in zip(checks, sheet.rows, strict=False):
        duplicate_of = existing.get(check.phone) if check.ok else None
        duplicate_row = seen.get(check.phone) if check.ok else None
        if check.ok and duplicate_of is None:
            seen.setdefault(check.phone, check.number)
        rows.append(PreviewRow(check=check, cells=cells, duplicate_of=duplicate_of, duplicate_row=duplicate_row))
    return Preview(columns=columns, rows=rows, total_rows=len(sheet.rows))
