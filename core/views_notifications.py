"""The bell's pages: a member's notifications, opening one (marks it read and follows its link), marking
all read, and the live figures of the page frame re-read after the notifications socket reconnects."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from core.models import Notification
from core.notifications import notification_open, notifications_mark_all_read, unread_count
from core.registry import notification_kind
from tenants.access import ALL_ROLES, roles_required


@roles_required(*ALL_ROLES)
@require_safe
def notification_list(request):
    notifications = Notification.objects.filter(user_id=request.user.pk)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    for notification in page:
        kind = notification_kind(notification.kind)
        notification.kind_label = kind.label if kind else notification.kind
    context = {"page": page, "unread": unread_count(user_id=request.user.pk)}
    return TemplateResponse(request, "core/notification_list.html", context)


@roles_required(*ALL_ROLES)
@require_safe
def notification_open_view(request, pk: int):
    notification = notification_open(user=request.user, notification_id=pk)
    if notification is None:
        raise Http404
    return redirect(notification.url or "core:notification-list")


@roles_required(*ALL_ROLES)
@require_POST
def notification_read_all(request):
    notifications_mark_all_read(user=request.user)
    return redirect("core:notification-list")


@roles_required(*ALL_ROLES)
@require_safe
def notification_live(request):
    """The bell and the sidebar's badges (pending requests, unread chats), each an out-of-band fragment.
    What the notifications socket would have pushed while it was down is lost; when it opens again the
    page asks for this and swaps the fragments in (static/js/app.js), so the figures are current again.
    The dashboard's pending-requests card mirrors the sidebar badge and follows it."""
    from core.context_processors import sidebar

    fragments = [render_to_string("core/partials/_bell.html", {"unread": unread_count(user_id=request.user.pk)})]
    fragments += [item["badge"] for item in sidebar(request, request.membership) if item["badge"]]
    response = HttpResponse("".join(fragments))
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("notifications/", notification_list, name="notification-list"),
    path("notifications/<int:pk>/", notification_open_view, name="notification-open"),
    path("notifications/read/", notification_read_all, name="notification-read-all"),
    path("notifications/live/", notification_live, name="notification-live"),
]
