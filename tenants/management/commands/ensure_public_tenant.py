"""Makes the public site answer on BASE_DOMAIN. django-tenants serves a host only when a Domain row names
it, so a fresh production database needs the public tenant (schema `public`) and its BASE_DOMAIN domain
before the landing page, the platform admin or /health respond there. The container's `migrate` step runs
this after `migrate`; `seed_demo` does the same for the demo."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant


class Command(BaseCommand):
    help = "Creates the public tenant and its BASE_DOMAIN domain when they are missing. Safe to run again."

    def handle(self, *args, **options):
        with schema_context("public"), transaction.atomic():
            self._ensure(settings.BASE_DOMAIN)

    def _ensure(self, host: str) -> None:
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Public", "slug": "public", "listed": False}
        )
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        if domain is not None and domain.tenant_id != public.pk:
            raise CommandError(f"{host} already belongs to the tenant {domain.tenant.slug!r}, not to the public site.")
        if domain is None:
            has_primary = public.domains.filter(is_primary=True).exists()
            Domain.objects.create(domain=host, tenant=public, is_primary=not has_primary)
            self.stdout.write(self.style.SUCCESS(f"The public site now answers on {host}."))
        else:
            self.stdout.write(f"The public site already answers on {host}.")
