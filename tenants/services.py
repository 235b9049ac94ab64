"""Writes about tenants, people and memberships. Every change is audited in the tenant it concerns."""

from __future__ import annotations

import re
import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_redis import get_redis_connection
from django_tenants.utils import schema_context

from core import ratelimit
from core.audit import audit_log, diff
from core.errors import ApplicationError
from core.realtime import publish
from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User
from tenants.selectors import active_membership, pending_count
from tenants.tasks import registration_existing_notice_task
from tenants.urlbuilder import public_url

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}[a-z0-9]$")
RESERVED_SLUGS = {"www", "public", "admin", "api", "static", "media", "mail", "app"}
HANDOFF_SALT = "tenants.handoff"
HANDOFF_MAX_AGE = 60
HANDOFF_STATE_RE = re.compile(r"[A-Za-z0-9_-]{32}")
REGISTRATION_NOTICES_PER_HOUR = 3


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
) -> Membership | None:
    """A person asks to join `tenant` from the public registration page. A new address gets an account and a
    pending membership (the owners are told, with `message`); the account keeps `language`, by default the
    one the registration page was shown in (the visitor's choice on the public site). An address that
    already has an account gets nothing created and answers None: its owner is emailed, after commit and by
    a worker, how to sign in and ask to join. The page answers the same either way, so it cannot be used to
    find out who has an account."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # the work of creating an account, so both answers take about as long
        # A few notices an hour at most, so the page cannot be used to flood someone's mailbox.
        sent = ratelimit.hit(scope="register:notice", identity=f"user:{existing.pk}", window=60 * 60)
        if sent <= REGISTRATION_NOTICES_PER_HOUR:
            user_id, tenant_id = existing.pk, tenant.pk
            transaction.on_commit(lambda: registration_existing_notice_task.delay(user_id, tenant_id))
        return None
    language = _supported_language(translation.get_language() if language is None else language)
    user = User.objects.create_user(email=email, password=password, full_name=full_name, phone=phone, language=language)
    return membership_request(user=user, tenant=tenant, message=message)


def registration_existing_notice_send(*, user: User, tenant: Tenant) -> None:
    """Tells the owner of an existing account that someone registered with their address to join `tenant`:
    how to sign in and ask to join, or reset the password. Nothing else changes."""
    login_path = reverse("tenants:login", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    reset_path = reverse("tenants:password-reset", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    context = {
        "user": user,
        "company": tenant.name,
        "login_url": public_url(login_path),
        "reset_url": public_url(reset_path),
    }
    with translation.override(user.language or tenant.language or settings.LANGUAGE_CODE):
        subject = render_to_string("tenants/email/registration_existing_subject.txt", context).strip()
        body = render_to_string("tenants/email/registration_existing.txt", context)
    send_mail(subject, body, None, [user.email])


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
def member_update(*, membership: Membership, actor: User, role: str) -> Membership:
    """An owner changes a member's role in this company. The person's account (name, phone) is theirs and
    shared with every company they work for: only they change it, on their profile page. Demoting the last
    active owner is refused; a role that does not change writes nothing."""
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."))
    if role == membership.role:
        return membership
    _ensure_not_last_owner(membership)
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _audit_in(
        membership.tenant, action="member.update", actor=actor, obj=membership, changes=diff(before, {"role": role})
    )
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


def _handoff_key(nonce: str) -> str:
    # Not the Django cache: its keys carry the schema, and a token is made on one host and used on another.
    return f"{settings.CACHE_KEY_PREFIX}:handoff:{nonce}"


def handoff_state_new() -> str:
    """A random value the target host keeps in this browser before a token is made for it."""
    return secrets.token_urlsafe(24)


def handoff_state_valid(state: str) -> bool:
    return bool(HANDOFF_STATE_RE.fullmatch(state or ""))


def handoff_token_create(*, user: User, tenant: Tenant, state: str, session_key: str) -> str:
    """A signed, one-use token that signs `user` in on `tenant`'s subdomain within the next minute. Browsers
    keep one session cookie per subdomain on `localhost`, so moving between tenants carries the login this
    way. The token names its tenant and the `state` the target host gave this browser (so it works only in
    the browser that asked for it), and it lives only as long as the session `session_key` it was made
    in, and the password: signing out or changing the password voids it."""
    nonce = secrets.token_urlsafe(16)
    get_redis_connection("default").set(_handoff_key(nonce), session_key, ex=HANDOFF_MAX_AGE * 2)
    return signing.dumps(
        {"u": user.pk, "t": tenant.schema_name, "h": user.get_session_auth_hash(), "n": nonce, "s": state},
        salt=HANDOFF_SALT,
    )


def _session_signs_in(session_key: str, user: User) -> bool:
    """Whether the session still exists and signs in `user` with the current password."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return session.get(SESSION_KEY) == str(user.pk) and secrets.compare_digest(
        session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def handoff_token_consume(*, token: str, tenant: Tenant, state: str) -> User:
    """The user a hand-off token signs in on `tenant`, checked in full; the token is spent by any attempt.
    Raises ApplicationError when it is forged, expired, for another tenant, already used, made for another
    browser (`state`), or its session has ended or its password changed since."""
    expired = _("This sign-in link has expired. Please sign in again.")
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature as exc:
        raise ApplicationError(expired) from exc
    if data.get("t") != tenant.schema_name:
        raise ApplicationError(_("This sign-in link is not for this company."))
    session_key = get_redis_connection("default").getdel(_handoff_key(str(data.get("n", ""))))
    if session_key is None:
        raise ApplicationError(_("This sign-in link was already used."))
    if not state or not secrets.compare_digest(str(data.get("s", "")), state):
        raise ApplicationError(_("This sign-in link was made for another browser. Please sign in again."))
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if (
        user is None
        or not secrets.compare_digest(user.get_session_auth_hash(), str(data.get("h", "")))
        or not _session_signs_in(session_key.decode(), user)
    ):
        raise ApplicationError(expired)
    if active_membership(user=user, tenant=tenant) is None:
        raise ApplicationError(_("You do not have access to that company."))
    return user
