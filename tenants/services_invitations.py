"""Invitations: an owner invites someone by email with a role; the emailed link (a signed token naming
the invitation) lets the person set a password, or sign in, and join the company active at once.

Every change is audited in the company's schema. Sending again makes a new link and voids the old one;
withdrawing voids it; a link works once, for its company only, for INVITATION_DAYS days."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit import audit_log
from core.errors import ApplicationError
from tenants.models import Invitation, Membership, MembershipStatus, Role, Tenant, User
from tenants.urlbuilder import tenant_url

INVITATION_SALT = "tenants.invitation"
INVITATION_DAYS = 7


def _audit(tenant: Tenant, **entry) -> None:
    with schema_context(tenant.schema_name):
        audit_log(**entry)


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation, request=None) -> str:
    path = reverse("tenants:invitation", kwargs={"token": invitation_token(invitation)}, urlconf=settings.ROOT_URLCONF)
    return tenant_url(invitation.tenant, path, request)


def _send(invitation: Invitation, request=None) -> None:
    """Emails the link once the transaction commits, in the company's language."""
    url = invitation_url(invitation, request)
    context = {
        "company": invitation.tenant.name,
        "role": None,
        "url": url,
        "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "",
        "days": INVITATION_DAYS,
    }
    with translation.override(invitation.tenant.language or settings.LANGUAGE_CODE):
        context["role"] = str(Role(invitation.role).label)
        subject = render_to_string("tenants/email/invitation_subject.txt", context).strip()
        body = render_to_string("tenants/email/invitation.txt", context)
    email = invitation.email
    _after_commit(lambda: send_mail(subject, body, None, [email]))


def _after_commit(work) -> None:
    transaction.on_commit(work)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Type a valid email address.")) from None
    return email


@transaction.atomic
def invitation_create(*, tenant: Tenant, email: str, role: str, actor: User, request=None) -> Invitation:
    """Invites `email` to join `tenant` as `role` and emails the link. Inviting an address already invited
    sends a fresh link (with the new role). Raises ApplicationError for an address that is already an active
    member, a bad address or role."""
    email = _clean_email(email)
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."))
    member = Membership.objects.filter(tenant=tenant, user__email__iexact=email).first()
    if member is not None and member.status == MembershipStatus.ACTIVE:
        raise ApplicationError(_("%(email)s already works here.") % {"email": email})
    invitation = (
        Invitation.objects.select_for_update()
        .filter(tenant=tenant, email__iexact=email, status=Invitation.Status.PENDING)
        .first()
    )
    if invitation is None:
        invitation = Invitation(tenant=tenant, email=email)
    invitation.role = role
    invitation.invited_by = actor
    invitation.nonce = secrets.token_hex(8)
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save()
    _audit(
        tenant,
        action="invitation.create",
        actor=actor,
        obj=invitation,
        changes={"email": {"before": None, "after": email}, "role": {"before": None, "after": role}},
    )
    _send(invitation, request)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User, request=None) -> Invitation:
    return invitation_create(
        tenant=invitation.tenant, email=invitation.email, role=invitation.role, actor=actor, request=request
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    if invitation.status != Invitation.Status.PENDING:
        raise ApplicationError(_("Only a pending invitation can be withdrawn."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    _audit(invitation.tenant, action="invitation.revoke", actor=actor, obj=invitation)
    return invitation


def invitation_from_token(*, token: str, tenant: Tenant) -> Invitation:
    """The pending invitation this link names, for this company. Raises ApplicationError saying why a
    link does not work (damaged, for another company, withdrawn, replaced by a newer one, used, expired)."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        raise ApplicationError(_("This invitation link is not valid. Ask for a new one.")) from None
    invitation = Invitation.objects.select_related("tenant", "invited_by").filter(pk=data.get("i")).first()
    if invitation is None or invitation.tenant_id != tenant.pk:
        raise ApplicationError(_("This invitation link is not valid. Ask for a new one."))
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ApplicationError(_("This invitation was already accepted. Sign in to open the company."))
    if invitation.status == Invitation.Status.REVOKED or not secrets.compare_digest(
        invitation.nonce, data.get("n", "")
    ):
        raise ApplicationError(_("This invitation was withdrawn or replaced by a newer one. Ask for a new one."))
    if invitation.expires_at <= timezone.now():
        raise ApplicationError(_("This invitation has expired. Ask for a new one."))
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
    language: str = "",
    phone: str = "",
) -> Membership:
    """Joins the invited person to the company, active, with the invited role. A signed-in `user` must be
    the invited address; without one, the account is created with `full_name`, `password` and `language`
    (refused when the address already has an account: that person signs in first). A pending or disabled
    membership becomes active with the role."""
    invitation = Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ApplicationError(_("This invitation can no longer be used. Ask for a new one."))
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ApplicationError(_("An account with this email already exists. Sign in to accept."))
        if not full_name.strip():
            raise ApplicationError(_("Tell us your name."))
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name.strip(), language=language, phone=phone
        )
    elif user.email.lower() != invitation.email.lower():
        raise ApplicationError(_("This invitation is for another email address."))
    membership, _created = Membership.objects.get_or_create(user=user, tenant=invitation.tenant)
    membership.role = invitation.role
    membership.status = MembershipStatus.ACTIVE
    membership.decided_by = invitation.invited_by
    membership.decided_at = timezone.now()
    membership.save()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    _audit(
        invitation.tenant,
        action="invitation.accept",
        actor=user,
        obj=membership,
        changes={"role": {"before": None, "after": invitation.role}},
    )
    from tenants.services import _publish_pending_count

    _publish_pending_count(invitation.tenant)
    return membership
