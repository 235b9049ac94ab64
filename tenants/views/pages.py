"""The public landing page and the user's own profile. The tenant home is crm.views.dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.access import ALL_ROLES, roles_required
from tenants.forms import ProfileForm
from tenants.services import user_profile_update
from tenants.views.auth import tenant_chooser


def landing(request):
    if request.user.is_authenticated:
        return tenant_chooser(request)
    return TemplateResponse(request, "tenants/landing.html", {})


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
    return TemplateResponse(request, "tenants/profile.html", {"form": form})
