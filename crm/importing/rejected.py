"""The rows an import rejected, given back as a CSV in the file's own shape (same headers, same
delimiter) plus a last column saying why, to fix in a spreadsheet and import again."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from crm.csvfiles import csv_lines
from crm.models import ImportJob


def rejected_csv(*, job: ImportJob) -> Iterator[str]:
    """The CSV lines of the rejected rows: rows without a usable phone (checked again, as the worker did)
    and rows the worker could not create. Duplicates are not in it: importing them again changes nothing.
    Raises ApplicationError or OSError when the stored file cannot be read."""
    from crm.services.imports import job_sheet, row_checker

    sheet = job_sheet(job)
    checker = row_checker()
    failed = {entry["row"]: " ".join(entry["messages"]) for entry in job.errors if entry.get("kind") == "error"}

    def rows():
        for number, values in sheet.records():
            reason = failed.get(number) or " ".join(checker.phone_errors(values))
            if reason:
                cells = sheet.rows[number - 2]
                padded = [*cells, *[""] * (len(sheet.headers) - len(cells))]
                yield [*padded[: len(sheet.headers)], reason]

    return csv_lines([*sheet.headers, _("Why it was not imported")], rows(), delimiter=sheet.delimiter)
