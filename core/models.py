"""Cross-cutting models: the timestamped base and the audit log (one table per tenant schema)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def user_reference(*, blank: bool = True, **options) -> models.ForeignKey:
    """A tenant-schema model's link to a user, who lives in the public schema. No database constraint and
    no cascade: PostgreSQL would have to cascade across schemas, and Django's collector only sees the
    current schema (deleting a user would fail on tables it cannot see). Users are disabled rather than
    deleted; a deleted one leaves a dangling id that reads as None through select_related (LEFT JOIN)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=blank,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        **options,
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Who did what, when and from where. Written by services through `core.audit.audit_log`."""

    class ActorKind(models.TextChoices):
        USER = "user", _("User")
        SYSTEM = "system", _("System")
        AGENT = "agent", _("AI agent")
        LEAD = "lead", _("Lead")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = user_reference(verbose_name=_("actor"))
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices, default=ActorKind.USER)
    actor_label = models.CharField(_("who"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class Notification(models.Model):
    """An in-app notification for one member of the company (the bell). Written only by
    `core.notifications.notify`; `kind` is declared by the app that sends it (core.registry)."""

    user = user_reference(blank=False, verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=40)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="notification_once_per_key"
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
