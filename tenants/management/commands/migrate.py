"""`manage.py migrate`: the public schema, every company's schema (in parallel, see
tenants.migration_executor), then the template schema new companies are cloned from
(tenants.schema_template), so that it always matches the code once migrate has run."""

from __future__ import annotations

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.schema_template import template_refresh, template_schema


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        whole_run = not options.get("schema_name") and not options.get("app_label") and not options.get("shared")
        if whole_run and not options.get("plan") and not options.get("check_unapplied"):
            state = template_refresh(verbosity=0)
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(f"Template schema {template_schema()}: {state}.")
