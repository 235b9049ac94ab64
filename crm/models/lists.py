"""How people work the lead list: saved filters ("views"), the columns each person chose, and bulk actions
on every lead matching a filter, run by a worker that reports its progress."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference


class SavedView(TimeStampedModel):
    """A named filter of the lead list (its query string). Private to its owner unless an owner of the
    company shares it with everyone; a seller applying a shared view still sees only their own leads."""

    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    user = user_reference(blank=False, verbose_name=_("created by"))
    shared = models.BooleanField(_("shared with the team"), default=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["user", "name"], name="savedview_user_idx"),
            models.Index(fields=["shared"], name="savedview_shared_idx", condition=models.Q(shared=True)),
        ]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


class ListPreference(models.Model):
    """The lead list's columns one person chose (one row per person and company)."""

    user = user_reference(blank=False)
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="listpreference_user_unique")]
        verbose_name = _("list preference")
        verbose_name_plural = _("list preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.columns)}"


# Why a bulk job failed, by code: the job stores the code and the message's parameters, and the page words
# them in its reader's language (the worker that met the refusal speaks no one's in particular).
BULK_FAILURES = {
    "author_inactive": _("Its author is no longer an active member."),
    "unexpected": _("The bulk action stopped on an unexpected error."),
    "unknown_action": _("Unknown action."),
    "stage_gone": _("That stage no longer exists."),
    "seller_inactive": _("Leads can only be assigned to active sellers or owners of this company."),
    "lost_reason_missing": _("Say why the leads were lost."),
    "tag_empty": _("Type a tag."),
    "tag_unknown": _("No lead has the tag “%(name)s”."),
}


class BulkJob(TimeStampedModel):
    """A bulk action on every lead matching a filter, too many to do while the person waits: a worker
    applies it in batches through the lead services (history, audit, live updates as one by one) and
    reports its progress here."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Working")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    action = models.CharField(max_length=16)
    params = models.JSONField(default=dict, blank=True)
    lead_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = user_reference(blank=False)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failure_reason = models.TextField(blank=True)  # in its author's language; failure_text is the reader's
    failure_code = models.CharField(max_length=32, blank=True)  # a key of BULK_FAILURES
    failure_params = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self) -> str:
        return f"{self.action} × {self.total}"

    @property
    def failure_text(self) -> str:
        """Why the job failed, in the active language: worded from its code when it has a known one."""
        message = BULK_FAILURES.get(self.failure_code)
        if message is None:
            return self.failure_reason
        return str(message) % self.failure_params if self.failure_params else str(message)

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0
