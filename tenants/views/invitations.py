"""Invitations: owners invite by email with a role (from the Staff page), withdraw or resend; the invited
person opens the emailed link on the company's site, sets a password or signs in, and joins active."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from tenants.access import public_view, roles_required
from tenants.models import Invitation, Language, Role, User
from tenants.services_invitations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_resend,
    invitation_revoke,
)


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.SELLER)


class JoinForm(forms.Form):
    """A new person accepting an invitation: who they are and a password."""

    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    password1 = forms.CharField(
        label=gettext_lazy("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=gettext_lazy("Repeat the password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def invitation_new(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(tenant=request.tenant, actor=request.user, request=request, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("tenants:staff")
    return TemplateResponse(request, "tenants/invitation_new.html", {"form": form})


def _invitation(request, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, tenant=request.tenant)


@roles_required(Role.OWNER)
@require_POST
def invitation_revoke_view(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        invitation_revoke(invitation=invitation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("tenants:staff")


@roles_required(Role.OWNER)
@require_POST
def invitation_resend_view(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        invitation_resend(invitation=invitation, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": invitation.email})
    return redirect("tenants:staff")


@public_view
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_open(request, token: str):
    """The emailed link. A new person sets a name and password; someone with an account signs in first
    (and comes back here); the invited person, signed in, joins with one click."""
    try:
        invitation = invitation_from_token(token=token, tenant=request.tenant)
    except ApplicationError as error:
        return TemplateResponse(request, "tenants/invitation_open.html", {"error": error.message}, status=410)
    user = request.user if request.user.is_authenticated else None
    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    context = {"invitation": invitation, "has_account": has_account, "signed_in_as": user}
    if user is not None and user.email.lower() != invitation.email.lower():
        context["wrong_account"] = True
        return TemplateResponse(request, "tenants/invitation_open.html", context, status=403)
    form = None
    if user is None and not has_account:
        initial = {"language": (translation.get_language() or "")[:2]}
        data = request.POST if request.method == "POST" else None
        form = JoinForm(data, email=invitation.email, initial=initial)
    if request.method == "POST" and (user is not None or (form is not None and form.is_valid())):
        try:
            if user is not None:
                invitation_accept(invitation=invitation, user=user)
            else:
                data = form.cleaned_data
                membership = invitation_accept(
                    invitation=invitation,
                    full_name=data["full_name"],
                    password=data["password1"],
                    language=data["language"],
                    phone=data["phone"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except ApplicationError as error:
            context["error"] = error.message
        else:
            messages.success(request, _("Welcome to %(company)s.") % {"company": invitation.tenant.name})
            return redirect("/")
    context["form"] = form
    context["login_url"] = f"{reverse('tenants:login')}?next={request.path}"
    status = 422 if form is not None and form.errors else 200
    return TemplateResponse(request, "tenants/invitation_open.html", context, status=status)
