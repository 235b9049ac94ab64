"""crm.public: what other apps use to find or create leads, attribute them and write their history."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from core.actors import AGENT
from core.errors import ApplicationError
from core.models import AuditEntry
from core.tenancy import TenantRequired
from core.testing import in_own_connection, race
from crm import public
from crm.models import Lead, TimelineEntry
from crm.services.leads import lead_create
from crm.tests.factories import LeadFactory


def test_upsert_creates_a_lead_once_and_then_finds_it(tenant, english):
    lead, created = public.lead_upsert_by_phone(
        tenant=tenant, phone="612 34 56 78", source=Lead.Source.WHATSAPP, actor=AGENT, fields={"first_name": "Ana"}
    )
    again, created_again = public.lead_upsert_by_phone(
        tenant=tenant,
        phone="+34612345678",
        source=Lead.Source.WEBSITE,
        fields={"first_name": "Other", "email": "a@b.es"},
    )

    assert (created, created_again) == (True, False)
    assert again.pk == lead.pk
    assert again.first_name == "Ana"  # a known name is never overwritten
    assert again.email == "a@b.es"  # an empty field is filled
    assert again.source == Lead.Source.WHATSAPP
    created_entry = TimelineEntry.objects.get(lead=lead, kind="created")
    assert created_entry.actor is None
    assert created_entry.actor_label == "AI agent"
    audit = AuditEntry.objects.get(action="lead.create", object_id=str(lead.pk))
    assert (audit.actor_kind, audit.actor_label) == ("agent", "AI agent")


def test_upsert_refuses_what_is_not_a_phone_and_writes_nothing(tenant):
    with pytest.raises(ApplicationError):
        public.lead_upsert_by_phone(tenant=tenant, phone="hello", source=Lead.Source.WHATSAPP)
    assert not Lead.objects.exists()


def test_attribution_first_touch_wins(tenant):
    lead = LeadFactory()
    public.lead_set_attribution(tenant=tenant, lead=lead, meta_campaign_id="c1", meta_ad_id="a1", utm_source="fb")
    public.lead_set_attribution(tenant=tenant, lead=lead, meta_campaign_id="c2")
    lead.refresh_from_db()
    assert (lead.meta_campaign_id, lead.meta_ad_id, lead.utm_source) == ("c1", "a1", "fb")

    public.lead_set_attribution(tenant=tenant, lead=lead, meta_campaign_id="c2", overwrite=True)
    lead.refresh_from_db()
    assert lead.meta_campaign_id == "c2"
    with pytest.raises(ValueError, match="first_name"):
        public.lead_set_attribution(tenant=tenant, lead=lead, first_name="x")


def test_every_function_checks_it_runs_in_the_company_it_is_given(acme, globex):
    with tenant_context(globex), pytest.raises(TenantRequired):
        public.lead_upsert_by_phone(tenant=acme, phone="+34612345678", source=Lead.Source.WHATSAPP)
    with schema_context("public"), pytest.raises(TenantRequired):
        public.lead_find_by_phone(tenant=acme, phone="+34612345678")


def test_services_refuse_a_stand_in_tenant_instead_of_guessing(acme):
    """Under a bare schema_context the connection's tenant is django-tenants' FakeTenant: no country, no
    assignment rule. Services say so instead of defaulting to Spain and manual assignment."""
    with schema_context(acme.schema_name), pytest.raises(TenantRequired, match="tenant_context"):
        lead_create(actor=None, phone="+34612345678")
    with schema_context(acme.schema_name):
        assert not Lead.objects.exists()


def test_services_outside_any_tenant_fail_loudly(db):
    from crm.services.imports import row_checker

    connection.set_schema_to_public()
    with pytest.raises(TenantRequired):
        row_checker()


def test_concurrent_upserts_of_one_phone_make_one_lead_and_no_error(acme):
    """Eight threads, each on its own database connection, upsert the same new phone at once."""

    def upsert(_):
        lead, created = public.lead_upsert_by_phone(tenant=acme, phone="+34699000111", source=Lead.Source.WHATSAPP)
        return lead.pk, created

    results = race(upsert, times=8, tenant=acme)
    try:
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert len({pk for pk, _ in results}) == 1
        assert sorted(created for _, created in results) == [False] * 7 + [True]
        assert in_own_connection(lambda: Lead.objects.filter(phone="+34699000111").count(), tenant=acme) == 1
    finally:

        def cleanup():
            AuditEntry.objects.filter(
                action="lead.create", object_id__in=[str(r[0]) for r in results if isinstance(r, tuple)]
            ).delete()
            Lead.objects.filter(phone="+34699000111").delete()

        in_own_connection(cleanup, tenant=acme)
