"""Signing in and out, registration, password reset and moving between tenants. Served on every host."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core import ratelimit
from core.audit import audit_log
from core.context import client_ip
from core.errors import ApplicationError
from tenants.access import public_view, signed_in_view
from tenants.forms import LoginForm, RegistrationForm, RequestAccessForm
from tenants.models import Tenant
from tenants.selectors import active_membership, user_memberships
from tenants.services import (
    handoff_token_consume,
    handoff_token_create,
    membership_request,
    user_register,
)
from tenants.urlbuilder import tenant_url


def _throttled(request, *, scope: str, account: str | None, ip_limit, account_limit=None) -> bool:
    """Says whether this IP (or account) has used up its attempts. The first refused attempt of a window
    is audited; the ones after it are not, so hammering a locked account cannot flood the audit log."""
    ip = client_ip(request) or "unknown"
    checks = [("ip", ip, ip_limit)]
    if account and account_limit:
        checks.append(("account", account, account_limit))
    for kind, identity, (limit, window) in checks:
        if ratelimit.is_limited(scope=f"{scope}:{kind}", identity=identity, limit=limit):
            if ratelimit.hit(scope=f"{scope}:{kind}:refused", identity=identity, window=window) == 1:
                audit_log(action=f"{scope}.throttled", object_type="account", object_repr=account or "", changes={})
            return True
    return False


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@public_view
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if _throttled(
            request,
            scope="login",
            account=email,
            ip_limit=settings.THROTTLE_LOGIN_IP,
            account_limit=settings.THROTTLE_LOGIN_ACCOUNT,
        ):
            form.add_error(None, _("Too many sign-in attempts. Please wait a few minutes and try again."))
            return TemplateResponse(request, "tenants/login.html", {"form": form}, status=429)
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            ratelimit.hit(
                scope="login:ip", identity=client_ip(request) or "unknown", window=settings.THROTTLE_LOGIN_IP[1]
            )
            ratelimit.hit(scope="login:account", identity=email, window=settings.THROTTLE_LOGIN_ACCOUNT[1])
            audit_log(action="login.failed", object_type="account", object_repr=email)
            form.add_error(None, _("That email and password do not match an account."))
        else:
            login(request, user)
            ratelimit.reset(scope="login:account", identity=email)
            audit_log(action="login", actor=user, obj=user)
            return redirect(_safe_next(request, default="/"))
    return TemplateResponse(request, "tenants/login.html", {"form": form, "next": _safe_next(request, "")})


@public_view
@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_log(action="logout", actor=request.user, obj=request.user)
    logout(request)
    return redirect("tenants:login")


@public_view
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register_view(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(request, scope="register", account=None, ip_limit=settings.THROTTLE_REGISTER_IP):
            form.add_error(None, _("Too many registrations from your network. Please try again later."))
            return TemplateResponse(request, "tenants/register.html", {"form": form}, status=429)
        ratelimit.hit(
            scope="register:ip", identity=client_ip(request) or "unknown", window=settings.THROTTLE_REGISTER_IP[1]
        )
        data = form.cleaned_data
        try:
            user_register(
                email=data["email"],
                full_name=data["full_name"],
                password=data["password1"],
                tenant=data["tenant"],
                phone=data["phone"],
                message=data["message"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return TemplateResponse(request, "tenants/register_done.html", {"tenant": data["tenant"]})
    return TemplateResponse(request, "tenants/register.html", {"form": form})


@signed_in_view
@require_http_methods(["GET", "POST"])
def tenant_chooser(request):
    """The public site's home for a signed-in user: their companies, and asking to join another."""
    form = RequestAccessForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        membership_request(user=request.user, tenant=form.cleaned_data["tenant"], message=form.cleaned_data["message"])
        messages.success(
            request,
            _("Your request was sent. An owner of %(company)s will review it.")
            % {"company": form.cleaned_data["tenant"].name},
        )
        return redirect("/")
    return TemplateResponse(
        request, "tenants/tenant_chooser.html", {"memberships": user_memberships(user=request.user), "form": form}
    )


@signed_in_view
@require_http_methods(["GET", "POST"])
def switch_tenant(request, slug: str):
    """Moves the signed-in user to another tenant's subdomain with a one-use hand-off token."""
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    if active_membership(user=request.user, tenant=tenant) is None:
        messages.error(request, _("You do not have access to that company."))
        return redirect("/")
    token = handoff_token_create(user=request.user, tenant=tenant)
    # The hand-off page exists on tenant hosts only; this view also runs on the public site.
    path = reverse("tenants:handoff", urlconf=settings.ROOT_URLCONF)
    return HttpResponseRedirect(tenant_url(tenant, f"{path}?token={token}", request))


@public_view
def handoff(request):
    """Receives a hand-off token on a tenant's subdomain and signs the user in there."""
    if request.tenant.schema_name == "public":
        return redirect("/")
    try:
        user = handoff_token_consume(token=request.GET.get("token", ""), tenant=request.tenant)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("tenants:login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("/")


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    template_name = "tenants/password_reset.html"
    email_template_name = "tenants/email/password_reset.txt"
    subject_template_name = "tenants/email/password_reset_subject.txt"
    success_url = reverse_lazy("tenants:password-reset-done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        if _throttled(
            self.request,
            scope="password_reset",
            account=email,
            ip_limit=settings.THROTTLE_PASSWORD_RESET_IP,
            account_limit=settings.THROTTLE_PASSWORD_RESET_ACCOUNT,
        ):
            form.add_error(None, _("Too many reset requests. Please wait an hour and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        ratelimit.hit(
            scope="password_reset:ip",
            identity=client_ip(self.request) or "unknown",
            window=settings.THROTTLE_PASSWORD_RESET_IP[1],
        )
        ratelimit.hit(
            scope="password_reset:account", identity=email, window=settings.THROTTLE_PASSWORD_RESET_ACCOUNT[1]
        )
        audit_log(action="password_reset.request", object_type="account", object_repr=email)
        return super().form_valid(form)


password_reset = public_view(ThrottledPasswordResetView.as_view())
password_reset_done = public_view(
    auth_views.PasswordResetDoneView.as_view(template_name="tenants/password_reset_done.html")
)
password_reset_confirm = public_view(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="tenants/password_reset_confirm.html",
        success_url=reverse_lazy("tenants:password-reset-complete"),
    )
)
password_reset_complete = public_view(
    auth_views.PasswordResetCompleteView.as_view(template_name="tenants/password_reset_complete.html")
)
