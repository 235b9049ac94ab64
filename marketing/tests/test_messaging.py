"""WhatsApp templates (sync from the fake Graph, preview, sends that skip opted-out leads, through the
chats adapter) and automation rules (conditions, actions, dry run, never twice under concurrency)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from core.testing import in_own_connection, race
from crm.models import Lead
from crm.tests.factories import LeadFactory, stage
from marketing.adapters import chats
from marketing.models import AutomationRule, OptOut, RuleFiring, TemplateSend, WhatsAppTemplate
from marketing.services.rules import rule_fire, rule_preview, rules_scan
from marketing.services.templates import (
    template_batch_create,
    template_batch_run,
    template_render,
    template_samples,
    template_send_to_lead,
    templates_sync,
)
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TEMPLATE_JSON = {
    "id": "t1",
    "name": "welcome",
    "language": "es",
    "category": "MARKETING",
    "status": "APPROVED",
    "components": [
        {"type": "BODY", "text": "Hola {{1}}, ¿hablamos {{2}}?", "example": {"body_text": [["Ana", "hoy"]]}}
    ],
}


@pytest.fixture
def sent(monkeypatch):
    """Captures what goes to the chats sending path."""
    calls = []

    def fake_send(**kwargs):
        calls.append(kwargs)
        return {"id": f"wamid.{len(calls)}"}

    monkeypatch.setattr(chats, "send_template", fake_send)
    return calls


@pytest.fixture
def template(tenant):
    return WhatsAppTemplate.objects.create(
        name="welcome",
        language="es",
        category="MARKETING",
        status="APPROVED",
        components=TEMPLATE_JSON["components"],
        variables=["first_name", "company"],
    )


def test_templates_sync_from_the_waba(tenant, connected, graph_server, owner):
    graph_server.templates["555"] = [TEMPLATE_JSON, {**TEMPLATE_JSON, "id": "t2", "name": "old", "status": "REJECTED"}]
    assert templates_sync(tenant=tenant, actor=owner.user, waba_id="555") == 2
    assert templates_sync(tenant=tenant, actor=owner.user, waba_id="555") == 2  # again: updated, not doubled
    assert WhatsAppTemplate.objects.count() == 2
    welcome = WhatsAppTemplate.objects.get(name="welcome")
    assert (welcome.category, welcome.status, welcome.approved) == ("MARKETING", "APPROVED", True)
    assert template_render(welcome, template_samples(welcome)) == "Hola Ana, ¿hablamos hoy?"


def test_a_send_fills_variables_from_the_lead_and_is_idempotent(tenant, template, sent):
    lead = LeadFactory(first_name="Marta", company="Acme")
    assert template_send_to_lead(tenant=tenant, template=template, lead=lead, actor=None, key="k1") == "sent"
    assert template_send_to_lead(tenant=tenant, template=template, lead=lead, actor=None, key="k1") == "duplicate"
    assert len(sent) == 1
    assert sent[0]["name"] == "welcome"
    assert sent[0]["idempotency_key"] == "marketing:k1"
    assert sent[0]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Marta"}, {"type": "text", "text": "Acme"}]}
    ]
    assert lead.timeline.filter(kind="template_sent", body="Hola Marta, ¿hablamos Acme?").exists()


def test_a_batch_skips_and_counts_opted_out_leads(tenant, template, sent, owner):
    leads = [LeadFactory(stage=stage("contacted")) for _ in range(3)]
    LeadFactory(stage=stage("new"))  # not matching
    OptOut.objects.create(lead_id=leads[1].pk)
    batch = template_batch_create(
        tenant=tenant, template=template, filters={"stage": leads[0].stage_id}, actor=owner.user
    )
    assert batch.total == 3
    batch = template_batch_run(tenant=tenant, batch_id=batch.pk)
    assert (batch.sent, batch.skipped_opted_out, batch.failed) == (2, 1, 0)
    assert {call["lead"].pk for call in sent} == {leads[0].pk, leads[2].pk}
    # A redelivered task sends nothing again.
    template_batch_run(tenant=tenant, batch_id=batch.pk)
    assert len(sent) == 2


def test_without_the_chats_capability_sends_fail_visibly(tenant, template, monkeypatch):
    monkeypatch.setattr(chats, "_chats_services", lambda: None)
    lead = LeadFactory()
    assert template_send_to_lead(tenant=tenant, template=template, lead=lead, actor=None, key="k") == "failed"
    send = TemplateSend.objects.get()
    assert send.status == "failed"
    assert "not available" in send.detail


def test_unapproved_templates_are_refused(tenant, template, sent):
    from core.errors import ApplicationError

    WhatsAppTemplate.objects.filter(pk=template.pk).update(status="PENDING")
    template.refresh_from_db()
    with pytest.raises(ApplicationError):
        template_send_to_lead(tenant=tenant, template=template, lead=LeadFactory(), actor=None, key="x")
    assert sent == []
    assert not TemplateSend.objects.exists()


def test_template_pages(acme, owner, client_for, english):
    db.set_tenant(acme)
    template = WhatsAppTemplate.objects.create(
        name="welcome", language="es", status="APPROVED", components=TEMPLATE_JSON["components"]
    )
    LeadFactory(stage=stage("won"))
    db.set_schema_to_public()
    client = client_for(owner)
    assert b"welcome" in client.get("/marketing/templates/").content
    page = client.get(f"/marketing/templates/{template.pk}/")
    assert "Hola Ana, ¿hablamos hoy?" in page.content.decode()
    question = client.post(f"/marketing/templates/{template.pk}/", {"stage": stage_pk(acme, "won")})
    assert b"1 leads match; 0 of them opted out" in question.content


def stage_pk(tenant, key):
    db.set_tenant(tenant)
    pk = stage(key).pk
    db.set_schema_to_public()
    return pk


# Rules -------------------------------------------------------------------------------------------------


def test_a_rule_acts_once_per_trigger_and_checks_conditions(tenant):
    rule = AutomationRule.objects.create(
        name="Tag", trigger="lead_from_ad", action="tag", params={"tag": "ads"}, conditions={"source": "meta_ads"}
    )
    matching = LeadFactory(source="meta_ads")
    other = LeadFactory(source="manual")
    assert rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=matching.pk, key="k") == "fired"
    assert rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=matching.pk, key="k") == "already"
    assert rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=other.pk, key="k") == "skipped"
    assert list(matching.tags.values_list("name", flat=True)) == ["ads"]
    assert RuleFiring.objects.count() == 1


def test_actions_move_assign_and_task(tenant, seller):
    lead = LeadFactory()
    move = AutomationRule.objects.create(
        name="m", trigger="no_reply", action="move", params={"stage": stage("contacted").pk}
    )
    assign = AutomationRule.objects.create(
        name="a", trigger="no_reply", action="assign", params={"seller": seller.user_id}
    )
    task = AutomationRule.objects.create(name="t", trigger="no_reply", action="task", params={"task": "Call back"})
    for rule in (move, assign, task):
        assert rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=lead.pk, key="x") == "fired"
    lead.refresh_from_db()
    assert lead.stage.key == "contacted"
    assert lead.seller_id == seller.user_id
    from agenda.models import Task

    assert Task.objects.get(lead=lead).title == "Call back"


def test_a_failing_action_is_logged_as_failed(tenant):
    rule = AutomationRule.objects.create(name="m", trigger="no_reply", action="move", params={"stage": 999999})
    lead = LeadFactory()
    assert rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=lead.pk, key="x") == "failed"
    firing = RuleFiring.objects.get()
    assert firing.result == "failed"
    assert "no longer exists" in firing.detail


def test_scan_no_reply_and_stage_reached_then_preview_is_empty(tenant):
    quiet = LeadFactory()
    Lead.objects.filter(pk=quiet.pk).update(last_contact_at=timezone.now() - timedelta(hours=30))
    LeadFactory()  # contacted recently: created now, no contact yet, not 24 h old
    rule = AutomationRule.objects.create(
        name="Nudge", trigger="no_reply", trigger_hours=24, action="tag", params={"tag": "quiet"}
    )
    preview = rule_preview(rule=rule)
    assert preview["count"] == 1
    assert [lead.pk for lead in preview["leads"]] == [quiet.pk]
    assert not quiet.tags.exists()  # the dry run did nothing
    assert rules_scan(tenant=tenant) == 1
    assert rules_scan(tenant=tenant) == 0
    assert rule_preview(rule=rule)["count"] == 0


def test_rules_fire_once_under_concurrent_workers(tenant, sent):
    # Committed rows, visible to the racing connections.
    def setup():
        t = WhatsAppTemplate.objects.create(
            name="welcome2", language="es", status="APPROVED", components=TEMPLATE_JSON["components"]
        )
        r = AutomationRule.objects.create(
            name="Welcome", trigger="lead_from_ad", action="send_template", params={"template": t.pk}
        )
        lead = LeadFactory(phone="+34699000111")
        return t.pk, r.pk, lead.pk

    template_pk, rule_pk, lead_pk = in_own_connection(setup, tenant=tenant)
    try:
        results = race(
            lambda i: rule_fire(tenant=tenant, rule_id=rule_pk, lead_id=lead_pk, key="created"), times=4, tenant=tenant
        )
        assert sorted(results) == ["already", "already", "already", "fired"]
        assert len(sent) == 1
        assert RuleFiring.objects.filter(rule_id=rule_pk).count() == 1
    finally:

        def cleanup():
            TemplateSend.objects.filter(template_id=template_pk).delete()
            RuleFiring.objects.filter(rule_id=rule_pk).delete()
            AutomationRule.objects.filter(pk=rule_pk).delete()
            WhatsAppTemplate.objects.filter(pk=template_pk).delete()
            Lead.objects.filter(pk=lead_pk).delete()

        in_own_connection(cleanup, tenant=tenant)


def test_rule_pages(acme, owner, client_for, english):
    client = client_for(owner)
    assert client.get("/marketing/rules/").status_code == 200
    refused = client.post(
        "/marketing/rules/new/", {"name": "R", "trigger": "stage_reached", "action": "tag", "active": "on"}
    )
    assert refused.status_code == 400
    assert b"Choose the stage." in refused.content
    created = client.post(
        "/marketing/rules/new/",
        {
            "name": "R",
            "trigger": "no_reply",
            "trigger_hours": "24",
            "action": "tag",
            "tag": "quiet",
            "cond_source": "meta_ads",
            "active": "on",
        },
    )
    assert created.status_code == 302
    db.set_tenant(acme)
    rule = AutomationRule.objects.get()
    assert (rule.params, rule.conditions, rule.trigger_hours) == ({"tag": "quiet"}, {"source": "meta_ads"}, 24)
    db.set_schema_to_public()
    assert b"Dry run" in client.get(f"/marketing/rules/{rule.pk}/").content


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT])
def test_sellers_and_accountants_cannot_open_templates_or_rules(acme, make_member, client_for, role):
    client = client_for(make_member(acme, role))
    for url in ("/marketing/templates/", "/marketing/rules/", "/marketing/rules/new/"):
        assert client.get(url).status_code == 403


def test_another_company_sees_none_of_acmes_templates_or_rules(acme, globex_owner, client_for):
    db.set_tenant(acme)
    template = WhatsAppTemplate.objects.create(name="secret_t", language="es", status="APPROVED", components=[])
    rule = AutomationRule.objects.create(
        name="secret rule", trigger="no_reply", trigger_hours=1, action="tag", params={"tag": "x"}
    )
    db.set_schema_to_public()
    client = client_for(globex_owner)
    assert client.get(f"/marketing/templates/{template.pk}/").status_code == 404
    assert client.get(f"/marketing/rules/{rule.pk}/").status_code == 404
    assert b"secret" not in client.get("/marketing/templates/").content
    assert b"secret" not in client.get("/marketing/rules/").content


# The inbox composer (chats) ------------------------------------------------------------------------------


def test_the_composer_offers_and_sends_templates_when_the_window_is_closed(acme, owner, client_for):
    from chats.models import Message
    from chats.tests.factories import make_conversation

    db.set_tenant(acme)
    template = WhatsAppTemplate.objects.create(
        name="welcome",
        language="es",
        status="APPROVED",
        components=TEMPLATE_JSON["components"],
        variables=["first_name"],
    )
    conversation = make_conversation(acme, phone="+34611555444", inbound_ago=None)
    Lead.objects.filter(pk=conversation.lead_id).update(first_name="Rosa")
    db.set_schema_to_public()
    client = client_for(owner)
    response = client.post(
        f"/marketing/conversations/{conversation.pk}/template/", {"template": template.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    db.set_tenant(acme)
    message = Message.objects.get(conversation=conversation)
    assert message.kind == "template"
    assert message.payload["template"]["name"] == "welcome"
    assert message.payload["template"]["components"][0]["parameters"][0]["text"] == "Rosa"
    assert TemplateSend.objects.filter(lead_id=conversation.lead_id, status="sent").count() == 1
    OptOut.objects.create(lead_id=conversation.lead_id)
    db.set_schema_to_public()
    refused = client.post(
        f"/marketing/conversations/{conversation.pk}/template/", {"template": template.pk}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422
    assert b"opted out" in refused.content
    db.set_tenant(acme)
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_batch_sends_reach_the_leads_conversation_through_chats(tenant, template):
    from chats.models import Message
    from chats.tests.factories import make_conversation

    conversation = make_conversation(tenant, phone="+34611555333", inbound_ago=None)
    lonely = LeadFactory(phone="+34611555222")
    assert (
        template_send_to_lead(tenant=tenant, template=template, lead=conversation.lead, actor=None, key="b1") == "sent"
    )
    assert template_send_to_lead(tenant=tenant, template=template, lead=lonely, actor=None, key="b2") == "failed"
    assert Message.objects.get(conversation=conversation).idempotency_key == "marketing:b1"
    assert "no WhatsApp conversation" in TemplateSend.objects.get(key="b2").detail
