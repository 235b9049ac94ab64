"""Adds a company from the command line. Not named `create_tenant`: django_tenants, first in INSTALLED_APPS
as it requires, has a command of that name, and Django runs the first app's command, so a project command
called that would never run."""

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from tenants.services import tenant_create


class Command(BaseCommand):
    help = "Creates a tenant (schema, <slug>.<BASE_DOMAIN> domain) with its owner."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="subdomain, e.g. acme")
        parser.add_argument("--name", required=True, help="company name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-name", default="")
        parser.add_argument("--owner-password", default=None, help="only used when the owner account is new")
        parser.add_argument("--language", default="es", choices=["es", "en", "fr"])
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args, **options):
        try:
            tenant = tenant_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_name=options["owner_name"],
                owner_password=options["owner_password"],
                language=options["language"],
                timezone_name=options["timezone"],
                currency=options["currency"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        domain = tenant.domains.get(is_primary=True).domain
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.name} at {domain} (schema {tenant.schema_name})"))
