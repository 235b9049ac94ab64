"""Public-schema models: tenants and their domains, people, memberships, the vault and WhatsApp numbers."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from core.models import TimeStampedModel

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


class Tenant(TenantMixin):
    """A company or location. Its data lives in the PostgreSQL schema `schema_name`."""

    class CalendarProvider(models.TextChoices):
        LOCAL = "local", _("Local agenda")
        GOOGLE = "google", _("Google Calendar")

    name = models.CharField(_("company name"), max_length=120)
    slug = models.SlugField(_("subdomain"), max_length=63, unique=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.SPANISH)
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    ai_enabled = models.BooleanField(_("AI agent answers WhatsApp"), default=False)
    calendar_provider = models.CharField(
        _("calendar provider"), max_length=16, choices=CalendarProvider.choices, default=CalendarProvider.LOCAL
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="ES",
        help_text=_("Two-letter code used to read phone numbers without a prefix."),
    )
    lead_assignment = models.CharField(
        _("new leads"),
        max_length=16,
        choices=[("manual", _("Stay unassigned")), ("round_robin", _("Round-robin among active sellers"))],
        default="manual",
    )
    listed = models.BooleanField(
        _("listed for public registration"),
        default=False,
        help_text=_(
            "On: the company appears on the public registration page and anyone can ask to join (an owner "
            "still approves each request). Off: people join only by invitation."
        ),
    )
    lead_value_confirm_above = models.DecimalField(
        _("confirm lead values above"),
        max_digits=12,
        decimal_places=2,
        default=1_000_000,
        help_text=_("A lead value higher than this asks to be confirmed, to catch a typing slip."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """From the migrated template when it is current (tenants.schema_template), else by migrations."""
        from django_tenants.utils import schema_exists

        from tenants.schema_template import clone_from_template

        if check_if_exists and schema_exists(self.schema_name):
            return False
        if sync_schema and clone_from_template(self.schema_name):
            return True
        return super().create_schema(check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


def canonical_email(value: str) -> str | None:
    """The address in lower case, or None when lower case is not stable under case folding: letters such
    as ſ, ı or ß, which PostgreSQL's case-insensitive comparison folds to S, I or leaves alone while
    Python's lower() keeps them, so such an address would reach (or hide behind) another one."""
    lowered = value.strip().lower()
    if lowered.upper().lower() != lowered:
        return None
    return lowered


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address; belongs to tenants through memberships."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        blank=True,
        help_text=_("Leave empty to use the company's language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    SELLER = "seller", _("Seller")
    ACCOUNTANT = "accountant", _("Accountant")
    MARKETING = "marketing", _("Marketing")


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Disabled")


class Membership(TimeStampedModel):
    """A user's place in a tenant. Only an active membership opens the tenant's pages."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SELLER)
    status = models.CharField(
        _("status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    request_message = models.TextField(_("message"), max_length=1000, blank=True)

    class Meta:
        ordering = ["tenant__name", "user__full_name"]
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_unique")]
        indexes = [models.Index(fields=["tenant", "status"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


class Invitation(TimeStampedModel):
    """An owner invites someone by email to join with a role. The emailed link carries a signed token naming
    this row; accepting it once makes (or re-activates) the person's membership."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Withdrawn")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("company"))
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SELLER)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("accepted by")
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    # Changes on each send, so resending makes the earlier link useless.
    nonce = models.CharField(max_length=32)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} @ {self.tenant} ({self.role}, {self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()


class Credential(TimeStampedModel):
    """One set of secrets for one external system of one tenant, encrypted at rest (see tenants.vault)."""

    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        WHATSAPP_CLOUD = "whatsapp_cloud", "WhatsApp Cloud API"
        YCLOUD = "ycloud", "YCloud"
        GOOGLE = "google", _("Google Calendar")
        META = "meta", "Meta Ads"
        ODOO = "odoo", "Odoo"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("company"))
    kind = models.CharField(_("service"), max_length=32, choices=Kind.choices)
    ciphertext = models.TextField(_("encrypted values"))
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("updated by")
    )

    class Meta:
        ordering = ["tenant", "kind"]
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="credential_tenant_kind_unique")]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")

    def __str__(self) -> str:
        return f"{self.tenant} / {self.get_kind_display()}"


class WhatsAppNumber(TimeStampedModel):
    """Routes an inbound webhook to its tenant by the receiving number's provider id."""

    class Provider(models.TextChoices):
        CLOUD = "whatsapp_cloud", "WhatsApp Cloud API"
        YCLOUD = "ycloud", "YCloud"
        # The development sandbox (chats.clients.sandbox): the simulator's loopback number of each demo company.
        SANDBOX = "sandbox", _("Sandbox (simulator)")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="whatsapp_numbers", verbose_name=_("company")
    )
    provider = models.CharField(_("provider"), max_length=32, choices=Provider.choices)
    phone_number_id = models.CharField(_("provider number id"), max_length=64)
    display_phone = models.CharField(_("phone number"), max_length=32)

    class Meta:
        ordering = ["display_phone"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "phone_number_id"], name="whatsapp_number_unique"),
        ]
        verbose_name = _("WhatsApp number")
        verbose_name_plural = _("WhatsApp numbers")

    def __str__(self) -> str:
        return self.display_phone


class MetaPage(TimeStampedModel):
    """Routes a Meta lead-ads webhook to its company by the Facebook page the form belongs to (the
    webhook is one URL for the whole Meta app, so the page id is the only thing naming the company)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="meta_pages", verbose_name=_("company"))
    page_id = models.CharField(_("Facebook page id"), max_length=64, unique=True)
    name = models.CharField(_("page name"), max_length=255, blank=True)

    class Meta:
        ordering = ["name", "page_id"]
        verbose_name = _("Facebook page")
        verbose_name_plural = _("Facebook pages")

    def __str__(self) -> str:
        return self.name or self.page_id
