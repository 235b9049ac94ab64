"""CRM background tasks: entry points that take ids and call one service. The tenant travels with each
task (tenant-schemas-celery), so the body runs in the schema the task was sent from."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError
from django.utils import translation
from django.utils.translation import gettext as _

from core.tenancy import current_tenant
from crm.models import ImportJob

logger = logging.getLogger(__name__)


def _language(job_id: int, model=ImportJob) -> str:
    job = model.objects.filter(pk=job_id).select_related("created_by").first()
    user = job.created_by if job is not None else None
    return (user and user.language) or current_tenant().language or settings.LANGUAGE_CODE


def _mark_failed(job_id: int, reason: str) -> None:
    try:
        ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]).update(
            status=ImportJob.Status.FAILED, failure_reason=reason
        )
    except OperationalError:
        logger.exception("could not mark the import failed", extra={"job": job_id})


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def import_leads_task(self, job_id: int) -> dict | None:
    """Runs a confirmed CSV import. Safe to run again: it resumes after the last committed batch. A run cut
    by the time limit is sent again to carry on; an unexpected error marks the job failed."""
    from crm.services.imports import import_job_run

    try:
        # Row errors and the failure reason are stored as text: in the language of whoever uploaded.
        with translation.override(_language(job_id)):
            job = import_job_run(job_id=job_id)
    except SoftTimeLimitExceeded as limit:
        raise self.retry(countdown=1, max_retries=50, exc=limit) from limit
    except OperationalError:
        if self.request.retries >= self.max_retries:
            # The database kept failing: say so on the job instead of leaving it "importing" for ever.
            logger.exception("import gave up after retries", extra={"job": job_id})
            _mark_failed(job_id, _("The database could not be reached. Please try the import again."))
        raise
    except Exception:
        logger.exception("import failed", extra={"job": job_id})
        _mark_failed(job_id, _("The import stopped on an unexpected error."))
        raise
    if job is None:
        return None
    return {"status": job.status, "created": job.created_count, "duplicates": job.duplicate_count}


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def bulk_leads_task(self, job_id: int) -> dict | None:
    """Runs a confirmed bulk action on many leads (crm.services.bulk). Safe to run again: it resumes
    after the last committed batch. A run cut by the time limit is sent again to carry on."""
    from crm.models import BulkJob
    from crm.services.bulk import bulk_job_fail, bulk_job_run

    # Failures are stored as a code the page words in its reader's language; what the lead services write
    # (history, audit) and a refusal without a code are in the language of whoever started the job.
    language = _language(job_id, BulkJob)
    try:
        with translation.override(language):
            job = bulk_job_run(job_id=job_id)
    except SoftTimeLimitExceeded as limit:
        raise self.retry(countdown=1, max_retries=50, exc=limit) from limit
    except Exception:
        logger.exception("bulk action failed", extra={"job": job_id})
        with translation.override(language):
            bulk_job_fail(job_id=job_id, code="unexpected")
        raise
    return None if job is None else {"status": job.status, "changed": job.changed}
