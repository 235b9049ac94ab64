"""Connecting Meta: OAuth (started here, answered on the bare domain and relayed back to the company's
host, checked here), manual token, ad accounts to follow, pages for lead ads, disconnect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from marketing.forms import AccountsForm, ManualTokenForm, PageForm
from marketing.models import AdAccount, MetaConnection
from marketing.services import connection as services
from marketing.services.pages import page_add, page_remove
from marketing.views.common import MARKETERS, connection_state
from tenants.access import roles_required
from tenants.models import MetaPage
from tenants.urlbuilder import public_url


def oauth_redirect_uri(request=None) -> str:
    """The one redirect URI registered in the Meta app: on the bare domain (see marketing.views.public)."""
    return public_url(reverse("marketing_public:oauth-callback", urlconf="config.urls_public"), request)


def _page_context(request, **extra) -> dict:
    return {
        "accounts": AdAccount.objects.all(),
        "accounts_form": AccountsForm(
            initial={"accounts": list(AdAccount.objects.filter(selected=True).values_list("meta_id", flat=True))},
            accounts=AdAccount.objects.all(),
        ),
        "token_form": ManualTokenForm(),
        "page_form": PageForm(),
        "pages": MetaPage.objects.filter(tenant=request.tenant),
        "oauth_configured": bool(settings.META_APP_ID and settings.META_APP_SECRET),
        "sandbox_enabled": settings.META_SANDBOX_ENABLED,
        **connection_state(),
        **extra,
    }


@roles_required(*MARKETERS)
@require_GET
def connection_view(request):
    return TemplateResponse(request, "marketing/connection.html", _page_context(request))


@roles_required(*MARKETERS)
@require_POST
def oauth_start_view(request):
    try:
        state = services.oauth_state_make(tenant=request.tenant, user=request.user)
        url = services.oauth_dialog_url(state=state, redirect_uri=oauth_redirect_uri(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketing:connection")
    return HttpResponseRedirect(url)


@roles_required(*MARKETERS)
@require_GET
def oauth_callback_view(request):
    if request.GET.get("error"):
        messages.error(request, _("Meta did not grant access."))
        return redirect("marketing:connection")
    try:
        services.connection_complete_oauth(
            tenant=request.tenant,
            actor=request.user,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            redirect_uri=oauth_redirect_uri(request),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketing:connection")
    messages.success(request, _("Meta is connected. Choose the ad accounts to follow."))
    return redirect("marketing:connection")


@roles_required(*MARKETERS)
@require_POST
def manual_token_view(request):
    form = ManualTokenForm(request.POST)
    if form.is_valid():
        try:
            services.connection_set_manual_token(
                tenant=request.tenant, actor=request.user, token=form.cleaned_data["token"]
            )
        except ApplicationError as error:
            form.add_error("token", error.message)
        else:
            messages.success(request, _("Meta is connected. Choose the ad accounts to follow."))
            return redirect("marketing:connection")
    return TemplateResponse(request, "marketing/connection.html", _page_context(request, token_form=form), status=400)


@roles_required(*MARKETERS)
@require_POST
def accounts_view(request):
    form = AccountsForm(request.POST, accounts=AdAccount.objects.all())
    if form.is_valid():
        chosen = services.accounts_select(
            tenant=request.tenant, actor=request.user, meta_ids=form.cleaned_data["accounts"]
        )
        if chosen and MetaConnection.objects.exists():
            from django.db import transaction

            from marketing.tasks import meta_sync_task

            transaction.on_commit(lambda: meta_sync_task.delay(True))
        messages.success(request, _("Ad accounts saved. Their history is being loaded."))
        return redirect("marketing:connection")
    return TemplateResponse(
        request, "marketing/connection.html", _page_context(request, accounts_form=form), status=400
    )


@roles_required(*MARKETERS)
@require_http_methods(["GET", "POST"])
def disconnect_view(request):
    if request.method == "POST":
        services.connection_disconnect(tenant=request.tenant, actor=request.user)
        messages.success(request, _("Meta is disconnected and its token deleted."))
        return redirect("marketing:connection")
    return TemplateResponse(request, "marketing/disconnect.html", connection_state())


@roles_required(*MARKETERS)
@require_POST
def page_add_view(request):
    form = PageForm(request.POST)
    if form.is_valid():
        try:
            page_add(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error("page_id", error.message)
        else:
            messages.success(request, _("Lead ads of this page now arrive here."))
            return redirect("marketing:connection")
    return TemplateResponse(request, "marketing/connection.html", _page_context(request, page_form=form), status=400)


@roles_required(*MARKETERS)
@require_POST
def page_remove_view(request, pk: int):
    page = get_object_or_404(MetaPage, tenant=request.tenant, pk=pk)
    page_remove(tenant=request.tenant, actor=request.user, pk=page.pk)
    return redirect("marketing:connection")


@roles_required(*MARKETERS)
@require_POST
def sandbox_view(request):
    if not settings.META_SANDBOX_ENABLED:
        raise Http404
    services.connection_sandbox(tenant=request.tenant, actor=request.user)
    messages.success(request, _("The sandbox account is connected. Choose the ad accounts to follow."))
    return redirect("marketing:connection")


urlpatterns = [
    path("meta/sandbox/", sandbox_view, name="sandbox"),
    path("meta/", connection_view, name="connection"),
    path("meta/connect/", oauth_start_view, name="oauth-start"),
    path("meta/callback/", oauth_callback_view, name="oauth-callback"),
    path("meta/token/", manual_token_view, name="manual-token"),
    path("meta/accounts/", accounts_view, name="accounts"),
    path("meta/disconnect/", disconnect_view, name="disconnect"),
    path("meta/pages/", page_add_view, name="page-add"),
    path("meta/pages/<int:pk>/remove/", page_remove_view, name="page-remove"),
]
