"""Demo CRM data, added by `manage.py seed_demo` inside each demo tenant (settings.DEMO_SEEDERS).

A few hundred leads over the last 120 days, spread over the pipeline, the tenant's sellers and owner,
sources and scores, with their history. Deterministic per tenant; does nothing when the tenant
already has leads."""

from __future__ import annotations

import random

from django.utils import translation

from crm.models import Lead
from crm.seeding import Person, seed_leads
from tenants.models import Role, User
from tenants.selectors import active_members

LEADS_PER_TENANT = {"acme": 300, "globex": 200}
DEFAULT_LEADS = 150


def _people(tenant) -> tuple[list[Person], Person | None]:
    """The demo sellers (seller1@, seller2@) and the owner; else whoever sells in this tenant."""
    emails = [f"seller1@{tenant.slug}.test", f"seller2@{tenant.slug}.test", f"owner@{tenant.slug}.test"]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    sellers = [Person(users[email].pk, users[email].full_name) for email in emails if email in users]
    owner = users.get(emails[2])
    if not sellers:
        members = active_members(tenant=tenant, roles=[Role.SELLER, Role.OWNER]).order_by("user_id")
        sellers = [Person(member.user_id, member.user.full_name) for member in members]
    creator = Person(owner.pk, owner.full_name) if owner else (sellers[-1] if sellers else None)
    return sellers, creator


def seed(*, tenant, stdout=None) -> int:
    """Adds the demo leads to `tenant` (the connection must be in its schema). Returns how many."""
    if Lead.objects.exists():
        if stdout is not None:
            stdout.write(f"  {tenant.slug}: leads already present, CRM demo data left as it is")
        return 0
    sellers, creator = _people(tenant)
    # The owner also sells, but less than the sellers.
    weighted = [person for person in sellers for _ in range(1 if creator and person.id == creator.id else 3)]
    with translation.override(tenant.language):  # stage names in the history, as the tenant reads them
        result = seed_leads(
            count=LEADS_PER_TENANT.get(tenant.slug, DEFAULT_LEADS),
            sellers=weighted,
            creator=creator,
            rng=random.Random(f"crm-demo-{tenant.slug}"),  # noqa: S311 (demo data, not security)
            language=tenant.language,
            extra_entries=1.5,
            batch_size=1000,
        )
    if stdout is not None:
        stdout.write(
            f"  {tenant.slug}: {result.leads} demo leads with {result.entries} history entries ({result.seconds} s)"
        )
    return result.leads
