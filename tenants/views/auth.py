"""Signing in and out, registration, password reset and moving between tenants. Served on every host."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

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
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.audit import audit_log
from core.context import client_ip
from core.errors import ApplicationError
from tenants import throttles
from tenants.access import public_view, signed_in_view
from tenants.forms import LoginForm, RegistrationForm, RequestAccessForm
from tenants.models import Tenant
from tenants.selectors import active_membership, user_memberships
from tenants.services import (
    HANDOFF_MAX_AGE,
    handoff_state_new,
    handoff_state_valid,
    handoff_token_consume,
    handoff_token_create,
    membership_request,
    user_register,
)
from tenants.urlbuilder import public_url, tenant_url

HANDOFF_COOKIE = "crm_handoff"
HANDOFF_COOKIE_SALT = "tenants.handoff-state"
HANDOFF_COOKIE_PATH = "/auth/handoff/"


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
        email = form.cleaned_data["email"]
        attempt = throttles.LoginAttempt(request, email)
        if attempt.refused():
            form.add_error(None, _("Too many sign-in attempts. Please wait a few minutes and try again."))
            return TemplateResponse(request, "tenants/login.html", {"form": form}, status=429)
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            attempt.failed()
            audit_log(action="login.failed", object_type="account", object_repr=email)
            form.add_error(None, _("That email and password do not match an account."))
        else:
            login(request, user)
            audit_log(action="login", actor=user, obj=user)
            response = redirect(_safe_next(request, default="/"))
            attempt.succeeded(response)
            return response
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
    """Every attempt counts against the address's limit, valid or not, and a new and an already registered
    address get the same answer (see user_register)."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        checks = [("ip", client_ip(request) or "unknown", settings.THROTTLE_REGISTER_IP)]
        if throttles.throttled(request, scope="register", checks=checks):
            form.add_error(None, _("Too many registrations from your network. Please try again later."))
            return TemplateResponse(request, "tenants/register.html", {"form": form}, status=429)
        throttles.count(scope="register", checks=checks)
        if form.is_valid():
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
@require_safe
def switch_tenant(request, slug: str):
    """Moves the signed-in user to another tenant's subdomain. First the target host gives this browser a
    state (handoff_start) and sends it back here; then a one-use token bound to that state and to this
    session goes to the target's hand-off page, which posts it from the target's own origin."""
    tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=slug)
    if active_membership(user=request.user, tenant=tenant) is None:
        messages.error(request, _("You do not have access to that company."))
        return redirect("/")
    state = request.GET.get("state", "")
    # The hand-off pages exist on tenant hosts only; this view also runs on the public site.
    if not handoff_state_valid(state):
        source = "public" if request.tenant.is_public else request.tenant.slug
        start = reverse("tenants:handoff-start", urlconf=settings.ROOT_URLCONF)
        return HttpResponseRedirect(tenant_url(tenant, f"{start}?{urlencode({'from': source})}", request))
    token = handoff_token_create(user=request.user, tenant=tenant, state=state, session_key=request.session.session_key)
    path = reverse("tenants:handoff", urlconf=settings.ROOT_URLCONF)
    return HttpResponseRedirect(tenant_url(tenant, f"{path}?{urlencode({'token': token})}", request))


def _handoff_cookie(response, state: str = "") -> None:
    if state:
        response.set_signed_cookie(
            HANDOFF_COOKIE,
            state,
            salt=HANDOFF_COOKIE_SALT,
            max_age=HANDOFF_MAX_AGE * 2,
            path=HANDOFF_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(HANDOFF_COOKIE, path=HANDOFF_COOKIE_PATH, samesite="Lax")


@public_view
@never_cache
@require_safe
def handoff_start(request):
    """On the target tenant's host: keeps a new state in this browser (a cookie of this host only) and sends
    the browser back to the switch on the host it came from (`from`: a tenant's slug, or "public")."""
    source = request.GET.get("from", "")
    if source == "public":
        origin = partial(public_url, request=request)
    else:
        source_tenant = Tenant.objects.exclude(schema_name="public").filter(slug=source[:63]).first()
        if source_tenant is None:
            return redirect("tenants:login")
        origin = partial(tenant_url, source_tenant, request=request)
    state = handoff_state_new()
    switch = reverse("tenants:switch", kwargs={"slug": request.tenant.slug})
    response = HttpResponseRedirect(origin(f"{switch}?{urlencode({'state': state})}"))
    _handoff_cookie(response, state)
    return response


@public_view
@never_cache
@require_http_methods(["GET", "POST"])
def handoff(request):
    """On the target tenant's host. GET shows a page whose form posts the token (static/js/handoff.js sends it
    at once; without JavaScript, a button does); only that POST, from this host's own origin and in the
    browser the token was made for, signs the user in."""
    if request.method == "GET":
        token = request.GET.get("token", "")
        if not token:
            return redirect("tenants:login")
        return TemplateResponse(request, "tenants/handoff.html", {"token": token[:2000]})
    state = request.get_signed_cookie(HANDOFF_COOKIE, default="", salt=HANDOFF_COOKIE_SALT, max_age=HANDOFF_MAX_AGE * 2)
    try:
        user = handoff_token_consume(token=request.POST.get("token", ""), tenant=request.tenant, state=state)
    except ApplicationError as error:
        messages.error(request, error.message)
        response = redirect("tenants:login")
    else:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        response = redirect("/")
    _handoff_cookie(response)
    return response


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    template_name = "tenants/password_reset.html"
    email_template_name = "tenants/email/password_reset.txt"
    subject_template_name = "tenants/email/password_reset_subject.txt"
    success_url = reverse_lazy("tenants:password-reset-done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        checks = [
            ("ip", client_ip(self.request) or "unknown", settings.THROTTLE_PASSWORD_RESET_IP),
            ("account", throttles.account_identity(email), settings.THROTTLE_PASSWORD_RESET_ACCOUNT),
        ]
        if throttles.throttled(self.request, scope="password_reset", checks=checks, label=email):
            form.add_error(None, _("Too many reset requests. Please wait an hour and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        throttles.count(scope="password_reset", checks=checks)
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
