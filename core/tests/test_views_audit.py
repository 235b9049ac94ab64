"""The owners' audit log page: filters, pagination, who may see it, and in which time zone."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from core.audit import audit_log
from core.models import AuditEntry
from core.registry import declarations
from tenants.models import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def entries(acme, owner, seller, in_schema):
    """Three entries at known times, by two people, besides whatever acme already holds."""
    with in_schema(acme):
        AuditEntry.objects.all().delete()
        made = {
            "lead": audit_log(action="lead.create", actor=seller.user, object_repr="Lead Alpha"),
            "move": audit_log(action="lead.move", actor=seller.user, object_repr="Lead Beta"),
            "settings": audit_log(action="tenant.settings", actor=owner.user, object_repr="Acme"),
        }
        for key, when in {
            "lead": datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
            "move": datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            "settings": datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        }.items():
            AuditEntry.objects.filter(pk=made[key].pk).update(created_at=when)
    return made


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [entry.object_repr for entry in response.context["page"].object_list]


def test_owner_sees_every_entry_newest_first(entries, owner, client_for):
    assert _listed(client_for(owner).get("/audit/")) == ["Acme", "Lead Beta", "Lead Alpha"]


def test_filter_by_action_prefix(entries, owner, client_for):
    assert _listed(client_for(owner).get("/audit/", {"action": "lead."})) == ["Lead Beta", "Lead Alpha"]
    assert _listed(client_for(owner).get("/audit/", {"action": "lead.move"})) == ["Lead Beta"]


def test_filter_by_actor(entries, owner, seller, client_for):
    response = client_for(owner).get("/audit/", {"actor": seller.user.email.upper()})

    assert _listed(response) == ["Lead Beta", "Lead Alpha"]


def test_filter_by_date_range_includes_both_days(entries, owner, client_for):
    response = client_for(owner).get("/audit/", {"from": "2026-03-02", "to": "2026-03-03"})

    assert _listed(response) == ["Acme", "Lead Beta"]


def test_an_invalid_date_is_refused_with_a_message(entries, owner, client_for):
    response = client_for(owner).get("/audit/", {"from": "yesterday"})

    assert _listed(response) == []
    assert "From: Enter a valid date." in response.content.decode()


def test_filters_combine(entries, owner, seller, client_for):
    response = client_for(owner).get("/audit/", {"action": "lead.", "to": "2026-03-01", "actor": "seller"})

    assert _listed(response) == ["Lead Alpha"]


def test_the_date_filter_follows_the_tenant_time_zone(acme, entries, owner, client_for, in_schema):
    # 2026-03-02 03:00 UTC is still March 1st in New York.
    with in_schema(acme):
        AuditEntry.objects.filter(pk=entries["move"].pk).update(created_at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    Tenant.objects.filter(pk=acme.pk).update(timezone="America/New_York")

    response = client_for(owner).get("/audit/", {"from": "2026-03-01", "to": "2026-03-01"})

    assert _listed(response) == ["Lead Beta", "Lead Alpha"]
    # English in a Spanish company: day first, 24-hour clock, in the company's time zone
    assert "01/03/2026, 22:00" in response.content.decode()


def test_pages_of_fifty(acme, owner, client_for, in_schema):
    with in_schema(acme):
        AuditEntry.objects.all().delete()
        for number in range(60):
            audit_log(action="bulk.entry", actor=owner.user, object_repr=f"entry {number}")
    client = client_for(owner)

    first = client.get("/audit/", {"action": "bulk."})
    second = client.get("/audit/", {"action": "bulk.", "page": "2"})

    assert len(first.context["page"].object_list) == 50
    assert _listed(second) == [f"entry {number}" for number in range(9, -1, -1)]
    assert 'href="?action=bulk.&page=2"' in first.content.decode()


def test_htmx_requests_get_the_table_only(entries, owner, client_for):
    response = client_for(owner).get("/audit/", {"action": "lead."}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-table">')
    assert "<html" not in body
    assert "Lead Beta" in body


def test_entries_record_who_and_from_where(acme, owner, client_for, in_schema):
    client_for(owner).post(
        "/settings/",
        {
            "name": "Acme Audited",
            "language": "en",
            "timezone": "UTC",
            "currency": "EUR",
            "country": "ES",
            "lead_assignment": "manual",
            "calendar_provider": "local",
        },
        HTTP_X_REQUEST_ID="req-abc-123",
    )

    with in_schema(acme):
        entry = AuditEntry.objects.get(action="tenant.settings")
    assert (entry.actor_kind, entry.ip, entry.request_id) == ("user", "127.0.0.1", "req-abc-123")
    assert entry.actor_label == f"{owner.user.full_name} <{owner.user.email}>"


def test_actions_and_objects_are_named_in_words_and_filter_by_their_code(acme, entries, owner, client_for, in_schema):
    with in_schema(acme):
        audit_log(action="some.future_action", actor=owner.user, object_type="crm.lead", object_repr="Lead Gamma")

    body = client_for(owner).get("/audit/").content.decode()

    assert '<span title="lead.move">Lead moved</span>' in body
    assert '<span title="tenant.settings">Company settings changed</span>' in body
    assert '<option value="lead.create" >Lead created</option>' in body
    assert '<option value="crm.lead" >Lead</option>' in body
    assert '<span title="some.future_action">some.future_action</span>' in body


def test_every_recorded_action_has_a_label():
    root = Path(__file__).resolve().parents[2]
    recorded = set()
    apps = ("core", "tenants", "crm", "agenda", "chats", "marketing", "odoo_sync")
    for path in [path for app in apps for path in root.glob(f"{app}/**/*.py")]:
        if {"tests", "management"} & set(path.parts):  # commands' argparse has action="store_true"
            continue
        text = path.read_text()
        recorded |= set(re.findall(r'action="([a-z_.]+)"', text))
        recorded |= {f"{scope}.throttled" for scope in re.findall(r'scope="([a-z_]+)"', text)}
    assert recorded - set(declarations().audit_labels) == set()


def test_changes_read_as_labels_and_choice_names_not_codes(tenant, owner, client_for, english):
    from crm.services.leads import lead_update
    from crm.tests.factories import LeadFactory

    lead = LeadFactory(first_name="Ana", score="")
    lead_update(lead=lead, actor=owner.user, first_name="Ana María", score="hot")
    connection.set_schema_to_public()

    body = client_for(owner).get("/audit/?action=lead.update").content.decode()

    assert "<strong>First name</strong>: Ana → Ana María" in body
    assert "<strong>Score</strong>: — → Hot" in body
    assert "first_name" not in body.split("<tbody")[1]
