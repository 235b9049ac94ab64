"""Seeds the demo once: tenants acme and globex with their people, a pending request and a superuser.
Running it again changes nothing. Other apps add their demo data through DEMO_SEEDERS."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User
from tenants.services import tenant_create

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (public demo password)
TENANTS = [
    ("acme", "Acme Ventas", "es", "Europe/Madrid", "EUR", "ES"),
    ("globex", "Globex Corporation", "en", "America/New_York", "USD", "US"),
]
PEOPLE = [
    ("owner", "Olivia Owner", Role.OWNER, MembershipStatus.ACTIVE),
    ("seller1", "Sam Seller", Role.SELLER, MembershipStatus.ACTIVE),
    ("seller2", "Sara Seller", Role.SELLER, MembershipStatus.ACTIVE),
    ("accountant", "Alex Accountant", Role.ACCOUNTANT, MembershipStatus.ACTIVE),
    ("marketing", "Mia Marketing", Role.MARKETING, MembershipStatus.ACTIVE),
    ("pending", "Pat Pending", Role.SELLER, MembershipStatus.PENDING),
]


def demo_logins() -> list[tuple[str, str, str]]:
    from tenants.urlbuilder import site_origin

    rows = [("platform superuser", "admin@demo.test", site_origin(settings.BASE_DOMAIN) + "/admin/")]
    for slug, _name, *_rest in TENANTS:
        for key, _full, role, status in PEOPLE:
            if status == MembershipStatus.ACTIVE:
                rows.append(
                    (f"{slug} {role}", f"{key}@{slug}.test", site_origin(f"{slug}.{settings.BASE_DOMAIN}") + "/")
                )
    return rows


class Command(BaseCommand):
    help = "Creates the demo tenants and people once (idempotent) and prints the logins."

    def handle(self, *args, **options):
        self._public()
        for slug, name, language, tz, currency, country in TENANTS:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                tenant = tenant_create(
                    name=name,
                    slug=slug,
                    owner_email=f"owner@{slug}.test",
                    owner_name="Olivia Owner",
                    owner_password=DEMO_PASSWORD,
                    language=language,
                    timezone_name=tz,
                    currency=currency,
                    country=country,
                    listed=True,  # the demo's pending people registered against them
                )
                self.stdout.write(f"created tenant {slug}")
            self._people(tenant)
            for path in getattr(settings, "DEMO_SEEDERS", []):
                with schema_context(tenant.schema_name):
                    import_string(path)(tenant=tenant, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Password for every demo login: {DEMO_PASSWORD}"))
        for label, email, url in demo_logins():
            self.stdout.write(f"  {label:<22} {email:<24} {url}")

    @transaction.atomic
    def _public(self):
        tenant, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Public", "slug": "public", "listed": False}
        )
        Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True})
        if not User.objects.filter(email="admin@demo.test").exists():
            User.objects.create_superuser(email="admin@demo.test", password=DEMO_PASSWORD, full_name="Platform Admin")

    @transaction.atomic
    def _people(self, tenant: Tenant):
        for key, full_name, role, status in PEOPLE:
            email = f"{key}@{tenant.slug}.test"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
            Membership.objects.get_or_create(
                user=user,
                tenant=tenant,
                defaults={"role": role, "status": status, "decided_at": timezone.now() if status == "active" else None},
            )
