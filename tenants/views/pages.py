"""The public landing page and the user's own profile. The tenant home is crm.views.dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from tenants.access import ALL_ROLES, roles_required
from tenants.forms import ProfileForm
from tenants.selectors import user_memberships
from tenants.services import user_password_change, user_profile_update
from tenants.signals import JUST_SIGNED_IN
from tenants.views.auth import tenant_chooser


def landing(request):
    """The public site's home. Right after signing in, a person whose only company is active goes straight
    into it; otherwise (and on later visits) they see their companies and may ask to join another."""
    if request.user.is_authenticated:
        if request.method == "GET" and request.session.pop(JUST_SIGNED_IN, False):
            memberships = list(user_memberships(user=request.user))
            if len(memberships) == 1 and memberships[0].is_active:
                return redirect("tenants:switch", slug=memberships[0].tenant.slug)
        return tenant_chooser(request)
    return TemplateResponse(request, "tenants/landing.html", {})


def _password_form(user, data=None) -> PasswordChangeForm:
    form = PasswordChangeForm(user, data)
    # Django focuses the current password on load; on this page the profile comes first.
    form.fields["old_password"].widget.attrs.pop("autofocus", None)
    return form


@roles_required(*ALL_ROLES)
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None, initial={"full_name": user.full_name, "phone": user.phone, "language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        user_profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Profile saved."))
        return redirect("tenants:profile")
    return TemplateResponse(request, "tenants/profile.html", {"form": form, "password_form": _password_form(user)})


@roles_required(*ALL_ROLES)
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_POST
def profile_password(request):
    """Changing one's own password, the current one first. This session stays signed in; others end."""
    user = request.user
    password_form = _password_form(user, request.POST)
    if password_form.is_valid():
        user_password_change(user=user, password=password_form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Password changed."))
        return redirect("tenants:profile")
    form = ProfileForm(initial={"full_name": user.full_name, "phone": user.phone, "language": user.language})
    return TemplateResponse(request, "tenants/profile.html", {"form": form, "password_form": password_form}, status=422)
