"""Follow-up task writes: create a task on a lead, tick it off (see agenda.services)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agenda import realtime
from agenda.models import Task
from agenda.selectors import zone_of
from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant
from crm.models import Lead
from crm.public import timeline_add


def _aware(moment: datetime, tenant) -> datetime:
    if not isinstance(moment, datetime):
        raise ApplicationError(_("Give a date and a time."))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone_of(tenant))
    return moment


def _validate_assignee(tenant, assignee_id: int | None) -> int | None:
    if assignee_id is None:
        return None
    from agenda.selectors import selling_members

    if assignee_id not in selling_members(tenant=tenant):
        raise ApplicationError(_("Tasks can only be given to active sellers or owners of this company."))
    return assignee_id


@transaction.atomic
def task_create(*, tenant, lead: Lead, title: str, due_at: datetime, assignee_id: int | None, actor) -> Task:
    """A follow-up on `lead`, due at `due_at`, for `assignee_id` (the lead's seller when None, if any)."""
    check_tenant(tenant)
    title = (title or "").replace("\x00", "").strip()
    if not title:
        raise ApplicationError(_("Give the task a title."))
    if len(title) > 160:
        raise ApplicationError(_("A task title can have at most 160 characters."))
    if lead is None or not Lead.objects.filter(pk=lead.pk).exists():
        raise ApplicationError(_("This lead does not exist."))
    due_at = _aware(due_at, tenant)
    now = timezone.now()
    if due_at < now - timedelta(days=365) or due_at > now + timedelta(days=5 * 365):
        raise ApplicationError(_("Choose a due date within a year ago and five years ahead."))
    assignee_id = _validate_assignee(tenant, assignee_id if assignee_id is not None else lead.seller_id)
    task = Task.objects.create(
        lead=lead,
        title=title,
        due_at=due_at,
        assignee_id=assignee_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    timeline_add(
        tenant=tenant,
        lead=lead,
        kind="task_created",
        actor=actor,
        body=title,
        data={"task": task.pk, "due": due_at.astimezone(zone_of(tenant)).isoformat(), "assignee": assignee_id},
    )
    audit_log(
        action="task.create", actor=actor, obj=task, changes={"due_at": {"before": None, "after": due_at.isoformat()}}
    )
    realtime.announce_task(task=task)
    return task


@transaction.atomic
def task_set_done(*, tenant, task: Task, actor, done: bool = True) -> Task:
    check_tenant(tenant)
    task = Task.objects.select_for_update().select_related("lead").filter(pk=task.pk).first()
    if task is None:
        raise ApplicationError(_("This task does not exist."))
    if task.done == done:
        return task
    task.done = done
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["done", "done_at", "updated_at"])
    if done:
        timeline_add(
            tenant=tenant, lead=task.lead, kind="task_done", actor=actor, body=task.title, data={"task": task.pk}
        )
    audit_log(action="task.done" if done else "task.reopen", actor=actor, obj=task,
              changes={"done": {"before": not done, "after": done}})  # fmt: skip
    realtime.announce_task(task=task)
    return task
