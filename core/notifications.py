"""In-app notifications (the bell): one writer, `notify`, for every app.

A notification belongs to one member of the company. Its `kind` is declared by the sending app in its
manifest's NOTIFICATION_KINDS (core.registry), which also says whether open pages play a sound. After
the transaction commits, each recipient's open pages get their new unread count and a toast, live, on
the `notifications` topic.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from core.models import Notification
from core.realtime import publish
from core.registry import notification_kind
from core.tenancy import check_tenant


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def _safe_url(url: str) -> str:
    """Only links inside the company's own site: a path, never another host."""
    url = (url or "").strip()
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url[:500]
    return ""


@transaction.atomic
def notify(*, tenant, user_ids: list[int], kind: str, text: str, url: str = "", dedupe_key: str = "") -> int:
    """Notifies each of `user_ids` (members of `tenant`) once. With a `dedupe_key`, a user who already
    had a notification with that key gets no second one, even when two workers send it at once (a
    unique index decides). Returns how many were created."""
    check_tenant(tenant)
    declared = notification_kind(kind)
    if declared is None:
        raise ValueError(f"undeclared notification kind {kind!r}: declare it in a manifest's NOTIFICATION_KINDS")
    recipients = sorted({int(uid) for uid in user_ids if uid})
    if not recipients:
        return 0
    text = " ".join((text or "").split())[:500]
    url = _safe_url(url)
    created = [_insert(user_id, kind, text, url, dedupe_key[:200]) for user_id in recipients]
    created = [notification for notification in created if notification is not None]
    for notification in created:
        _push(notification, sound=declared.sound)
    return len(created)


def _insert(user_id: int, kind: str, text: str, url: str, dedupe_key: str) -> Notification | None:
    """One row, or None when this user already has one with this dedupe key (ON CONFLICT on the partial
    unique index, so two workers racing insert one row)."""
    if not dedupe_key:
        return Notification.objects.create(user_id=user_id, kind=kind, text=text, url=url)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_notification (user_id, kind, text, url, dedupe_key, created_at) "
            "VALUES (%s, %s, %s, %s, %s, now()) "
            "ON CONFLICT (user_id, dedupe_key) WHERE dedupe_key <> '' DO NOTHING RETURNING id",
            [user_id, kind, text, url, dedupe_key],
        )
        row = cursor.fetchone()
    return Notification.objects.get(pk=row[0]) if row else None


def _push(notification: Notification, *, sound: bool) -> None:
    context = {"notification": notification, "unread": unread_count(user_id=notification.user_id), "sound": sound}
    publish(
        topic="notifications",
        event="NOTIFICATION",
        html=lambda: render_to_string("core/partials/_notification_event.html", context),
        data={"id": notification.pk, "kind": notification.kind},
        user_ids=[notification.user_id],
        roles=(),
    )


def notification_open(*, user, notification_id: int) -> Notification | None:
    """Marks one of the user's notifications read and returns it (None when it is not theirs)."""
    notification = Notification.objects.filter(pk=notification_id, user_id=user.pk).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
