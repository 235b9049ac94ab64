"""Writes about tenants, people and memberships. Every change is audited in the tenant it concerns."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit import audit_log, diff
from core.errors import ApplicationError
from core.realtime import publish
from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User
from tenants.selectors import pending_count

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}[a-z0-9]$")
RESERVED_SLUGS = {"www", "public", "admin", "api", "static", "media", "mail", "app"}
HANDOFF_SALT = "tenants.handoff"
HANDOFF_MAX_AGE = 60


def _publish_pending_count(tenant: Tenant) -> None:
    """Owners' sidebars show the number of pending requests; push the new number to their open pages."""
    html = render_to_string("tenants/partials/_pending_badge.html", {"pending_count": pending_count(tenant=tenant)})
    publish(
        topic="notifications", event="STAFF_PENDING", html=html, roles=(Role.OWNER,), schema_name=tenant.schema_name
    )


@transaction.atomic
def tenant_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_name: str = "",
    owner_password: str | None = None,
    language: str = "es",
    timezone_name: str = "UTC",
    currency: str = "EUR",
    country: str = "ES",
    actor: User | None = None,
    listed: bool = False,
) -> Tenant:
    """Creates the tenant with its schema (migrated), its `<slug>.<BASE_DOMAIN>` domain and an active
    owner membership. The owner account is created when the email is new. A new company is not listed for
    public registration unless `listed` (its owners turn it on in the settings)."""
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise ApplicationError(_("The subdomain must be 3-42 lowercase letters, digits or dashes, not reserved."))
    if Tenant.objects.filter(slug=slug).exists():
        raise ApplicationError(_("That subdomain is already taken."))
    tenant = Tenant.objects.create(
        schema_name=slug.replace("-", "_"),
        slug=slug,
        name=name,
        language=language,
        timezone=timezone_name,
        currency=currency,
        country=country.upper(),
        listed=listed,
    )
    Domain.objects.create(tenant=tenant, domain=f"{slug}.{settings.BASE_DOMAIN}", is_primary=True)
    owner = User.objects.filter(email__iexact=owner_email).first()
    if owner is None:
        owner = User.objects.create_user(
            email=owner_email, password=owner_password, full_name=owner_name or owner_email
        )
    Membership.objects.create(
        user=owner,
        tenant=tenant,
        role=Role.OWNER,
        status=MembershipStatus.ACTIVE,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    with schema_context(tenant.schema_name):
        audit_log(
            action="tenant.create", actor=actor, obj=tenant, changes={"owner": {"before": None, "after": owner.email}}
        )
    return tenant


def _supported_language(code: str | None) -> str:
    code = (code or "")[:2]
    return code if code in {language for language, _name in settings.LANGUAGES} else ""


@transaction.atomic
def user_register(
    *,
    email: str,
    full_name: str,
    password: str,
    tenant: Tenant,
    phone: str = "",
    language: str | None = None,
    message: str = "",
) -> Membership:
    """A new person asks to join `tenant`: creates the account and a pending membership, tells the owners.
    The account keeps `language`, by default the one the registration page was shown in (the visitor's
    choice on the public site). `message` is shown to the owners beside the request."""
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(_("An account with this email already exists. Log in to ask for access."))
    language = _supported_language(translation.get_language() if language is None else language)
    user = User.objects.create_user(email=email, password=password, full_name=full_name, phone=phone, language=language)
    return membership_request(user=user, tenant=tenant, message=message)


@transaction.atomic
def membership_request(*, user: User, tenant: Tenant, message: str = "") -> Membership:
    """An existing user asks to join another tenant, with an optional message for the owners. Asking twice
    changes nothing."""
    if tenant.is_public:
        raise ApplicationError(_("Choose a company."))
    membership, created = Membership.objects.get_or_create(
        user=user, tenant=tenant, defaults={"request_message": (message or "").strip()[:1000]}
    )
    if created:
        with schema_context(tenant.schema_name):
            audit_log(action="membership.request", actor=user, obj=membership)
            _publish_pending_count(tenant)
    return membership


def _audit_in(tenant: Tenant, **entry) -> None:
    """Audit entries live in the schema of the tenant they concern, whichever schema the caller is in
    (a command or the public admin runs in public)."""
    with schema_context(tenant.schema_name):
        audit_log(**entry)


def _decide(membership: Membership, *, actor: User, action: str, **fields) -> Membership:
    before = {name: getattr(membership, name) for name in fields}
    for name, value in fields.items():
        setattr(membership, name, value)
    membership.decided_by = actor
    membership.decided_at = timezone.now()
    membership.save()
    _audit_in(membership.tenant, action=action, actor=actor, obj=membership, changes=diff(before, fields))
    _publish_pending_count(membership.tenant)
    return membership


def _ensure_not_last_owner(membership: Membership) -> None:
    if membership.role != Role.OWNER or membership.status != MembershipStatus.ACTIVE:
        return
    others = Membership.objects.filter(tenant=membership.tenant, role=Role.OWNER, status=MembershipStatus.ACTIVE)
    if not others.exclude(pk=membership.pk).exists():
        raise ApplicationError(_("A company needs at least one active owner."))


@transaction.atomic
def membership_approve(*, membership: Membership, role: str, actor: User) -> Membership:
    if membership.status != MembershipStatus.PENDING:
        raise ApplicationError(_("Only pending requests can be approved."))
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."))
    return _decide(membership, actor=actor, action="membership.approve", status=MembershipStatus.ACTIVE, role=role)


@transaction.atomic
def membership_reject(*, membership: Membership, actor: User) -> None:
    """Refuses a pending request: the membership is deleted (the account stays, it may ask elsewhere)."""
    if membership.status != MembershipStatus.PENDING:
        raise ApplicationError(_("Only pending requests can be rejected."))
    tenant = membership.tenant
    _audit_in(tenant, action="membership.reject", actor=actor, obj=membership)
    membership.delete()
    _publish_pending_count(tenant)


@transaction.atomic
def membership_disable(*, membership: Membership, actor: User) -> Membership:
    if membership.status != MembershipStatus.ACTIVE:
        raise ApplicationError(_("Only active members can be disabled."))
    if membership.user_id == actor.pk:
        raise ApplicationError(_("You cannot disable yourself."))
    _ensure_not_last_owner(membership)
    return _decide(membership, actor=actor, action="membership.disable", status=MembershipStatus.DISABLED)


@transaction.atomic
def membership_enable(*, membership: Membership, actor: User) -> Membership:
    if membership.status != MembershipStatus.DISABLED:
        raise ApplicationError(_("Only disabled members can be re-enabled."))
    return _decide(membership, actor=actor, action="membership.enable", status=MembershipStatus.ACTIVE)


@transaction.atomic
def member_update(*, membership: Membership, actor: User, full_name: str, phone: str, role: str) -> Membership:
    """An owner edits a member's profile and role. Demoting the last active owner is refused."""
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."))
    if role != membership.role:
        _ensure_not_last_owner(membership)
    user = membership.user
    before = {"full_name": user.full_name, "phone": user.phone, "role": membership.role}
    after = {"full_name": full_name.strip(), "phone": phone.strip(), "role": role}
    user.full_name, user.phone = after["full_name"], after["phone"]
    user.save(update_fields=["full_name", "phone"])
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _audit_in(membership.tenant, action="member.update", actor=actor, obj=membership, changes=diff(before, after))
    return membership


TENANT_SETTING_FIELDS = (
    "name",
    "language",
    "timezone",
    "currency",
    "country",
    "lead_assignment",
    "ai_enabled",
    "calendar_provider",
    "listed",
    "lead_value_confirm_above",
)


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, actor: User, **values) -> Tenant:
    unknown = set(values) - set(TENANT_SETTING_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown settings: %(names)s") % {"names": ", ".join(sorted(unknown))})
    before = {name: getattr(tenant, name) for name in values}
    for name, value in values.items():
        setattr(tenant, name, value)
    tenant.full_clean(exclude=["schema_name", "slug"])
    tenant.save()
    changes = diff(before, values)
    if changes:
        _audit_in(tenant, action="tenant.settings", actor=actor, obj=tenant, changes=changes)
    return tenant


@transaction.atomic
def user_profile_update(*, user: User, full_name: str, phone: str, language: str) -> User:
    before = {"full_name": user.full_name, "phone": user.phone, "language": user.language}
    after = {"full_name": full_name.strip(), "phone": phone.strip(), "language": language}
    for name, value in after.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(after))
    if connection.schema_name != "public":
        audit_log(action="user.profile", actor=user, obj=user, changes=diff(before, after))
    return user


@transaction.atomic
def user_password_change(*, user: User, password: str) -> User:
    """Sets a new password the caller has already checked (current password, validators). Audited, without
    the password, in the schema of the tenant where it was changed."""
    user.set_password(password)
    user.save(update_fields=["password"])
    if connection.schema_name != "public":
        audit_log(action="user.password", actor=user, obj=user)
    return user


def user_language_set(*, user: User, language: str) -> None:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ApplicationError(_("Unsupported language."))
    user.language = language
    user.save(update_fields=["language"])


def handoff_token_create(*, user: User, tenant: Tenant) -> str:
    """A signed, one-use token that logs `user` into `tenant`'s subdomain for the next minute. Browsers
    keep one session cookie per subdomain on `localhost`, so moving between tenants carries the login
    this way; the token names its tenant and cannot be replayed."""
    return signing.dumps(
        {"u": user.pk, "t": tenant.schema_name, "h": user.get_session_auth_hash(), "n": secrets.token_hex(8)},
        salt=HANDOFF_SALT,
    )


def handoff_token_consume(*, token: str, tenant: Tenant) -> User:
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(_("This sign-in link has expired. Please sign in again.")) from exc
    if data.get("t") != tenant.schema_name:
        raise ApplicationError(_("This sign-in link is not for this company."))
    if not cache.add(f"handoff-used:{data['n']}", 1, timeout=HANDOFF_MAX_AGE * 2):
        raise ApplicationError(_("This sign-in link was already used."))
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not secrets.compare_digest(user.get_session_auth_hash(), data["h"]):
        raise ApplicationError(_("This sign-in link has expired. Please sign in again."))
    return user
