"""Bulk actions on every lead matching a filter ("select all N matching"). Up to INLINE_MAX leads are
done while the person waits; more become a BulkJob that a worker applies in batches through the same lead
services (so each lead gets its history, audit and live update) and whose progress the page shows.

The job keeps the ids that matched when the person confirmed: leads that match later are not touched,
and a seller's job only ever touches leads that are still theirs when it runs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.models import BULK_FAILURES, BulkJob, Stage
from crm.services.leads import BulkResult, leads_bulk_assign, leads_bulk_move, leads_bulk_tag
from crm.services.lists import leads_bulk_untag

INLINE_MAX = 200  # more than this goes to a worker
BULK_MAX = 20_000  # more than this: narrow the filter
BATCH = 100
ACTIONS = ("assign", "tag", "untag", "move")


def bulk_apply(*, action: str, params: dict, leads, actor) -> BulkResult:
    """One bulk action on `leads` (already limited to what the actor may see), through the lead services."""
    if action == "assign":
        return leads_bulk_assign(leads=leads, seller_id=params.get("seller_id"), actor=actor)
    if action == "tag":
        return leads_bulk_tag(leads=leads, tag=params.get("tag", ""), actor=actor)
    if action == "untag":
        return leads_bulk_untag(leads=leads, tag=params.get("tag", ""), actor=actor)
    if action == "move":
        stage = Stage.objects.filter(pk=params.get("stage_id")).first()
        if stage is None:
            raise ApplicationError(_("That stage no longer exists."), code="stage_gone")
        return leads_bulk_move(leads=leads, stage=stage, actor=actor, lost_reason=params.get("lost_reason", ""))
    raise ApplicationError(_("Unknown action."), code="unknown_action")


@transaction.atomic
def bulk_job_create(*, membership, action: str, params: dict, lead_ids: list[int]) -> BulkJob:
    """Records a confirmed bulk action on these leads and hands it to a worker after commit."""
    from crm.tasks import bulk_leads_task

    if action not in ACTIONS:
        raise ApplicationError(_("Unknown action."))
    if len(lead_ids) > BULK_MAX:
        raise ApplicationError(
            _("At most %(max)s leads at once: narrow the filters.") % {"max": f"{BULK_MAX:,}".replace(",", " ")}
        )
    job = BulkJob.objects.create(
        action=action, params=params, lead_ids=list(lead_ids), total=len(lead_ids), created_by_id=membership.user_id
    )
    transaction.on_commit(lambda: bulk_leads_task.delay(job.pk))
    return job


def bulk_job_fail(*, job_id: int, code: str, params: dict | None = None, reason: str = "") -> None:
    """Marks a queued or running job failed. `code` (a key of BULK_FAILURES) and `params` word the reason
    for each reader in their language; `reason` is the text for a refusal that has no code (worded in the
    active language: the task runs in its author's)."""
    params = params or {}
    if code in BULK_FAILURES:
        reason = str(BULK_FAILURES[code]) % params if params else str(BULK_FAILURES[code])
    else:
        code, params = "", {}
    BulkJob.objects.filter(pk=job_id, status__in=[BulkJob.Status.QUEUED, BulkJob.Status.RUNNING]).update(
        status=BulkJob.Status.FAILED, failure_code=code, failure_params=params, failure_reason=reason
    )


def _membership(job: BulkJob):
    from tenants.models import Membership, MembershipStatus

    return (
        Membership.objects.select_related("user")
        .filter(user_id=job.created_by_id, tenant=current_tenant(), status=MembershipStatus.ACTIVE)
        .first()
    )


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Applies a job batch by batch, each batch in its own transaction, from where the last committed one
    stopped (so running it again resumes, and never applies a lead twice). A refusal (a lost stage without
    a reason, a seller no longer active) marks the job failed with the reason."""
    from crm.selectors.leads import visible_leads

    job = BulkJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (BulkJob.Status.DONE, BulkJob.Status.FAILED):
        return job
    membership = _membership(job)
    if membership is None:
        bulk_job_fail(job_id=job.pk, code="author_inactive")
        return BulkJob.objects.get(pk=job.pk)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING)
    while True:
        with transaction.atomic():
            job = BulkJob.objects.select_for_update().get(pk=job.pk)
            batch = job.lead_ids[job.processed : job.processed + BATCH]
            if not batch:
                job.status, job.finished_at = BulkJob.Status.DONE, timezone.now()
                job.save(update_fields=["status", "finished_at", "updated_at"])
                return job
            leads = list(visible_leads(membership=membership).filter(pk__in=batch).order_by("pk"))
            try:
                result = bulk_apply(action=job.action, params=job.params, leads=leads, actor=membership.user)
            except ApplicationError as error:
                failure = (error.code, error.extra) if error.code in BULK_FAILURES else ("", {})
                job.status, job.failure_reason = BulkJob.Status.FAILED, error.message
                job.failure_code, job.failure_params = failure
                job.save(update_fields=["status", "failure_reason", "failure_code", "failure_params", "updated_at"])
                return job
            job.processed += len(batch)
            job.changed += result.changed
            job.skipped += result.skipped + len(batch) - len(leads)
            job.save(update_fields=["processed", "changed", "skipped", "updated_at"])
