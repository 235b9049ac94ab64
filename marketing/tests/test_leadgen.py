"""The lead-ads webhook on the bare domain: verification, signatures, the company found from the page,
each lead stored once, its answers fetched from the fake Graph and recorded on the lead by phone."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import connection as db
from django.test import Client

from crm.models import Lead, TimelineEntry
from crm.tests.factories import LeadFactory
from marketing.models import Ad, AdAccount, AdSet, Campaign, LeadgenEvent
from marketing.services.leadgen import leadgen_process
from marketing.tests.conftest import APP_SECRET
from tenants.models import MetaPage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def payload(leadgen_id: str = "900", page_id: str = "777", ad_id: str = "a1") -> dict:
    """The contract's shape (shared/contracts/meta_leadgen_webhook.json)."""
    return {
        "object": "page",
        "entry": [
            {
                "id": int(page_id),
                "time": 1438292065,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "leadgen_id": int(leadgen_id),
                            "page_id": int(page_id),
                            "form_id": 555,
                            "adgroup_id": 1,
                            "ad_id": ad_id,
                            "created_time": 1440120384,
                        },
                    }
                ],
            }
        ],
    }


def post(body: dict, *, secret: str = APP_SECRET, signature: str | None = None):
    raw = json.dumps(body).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return Client(HTTP_HOST="localhost").post(
        "/meta/webhook/", raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )


@pytest.fixture
def enqueued(monkeypatch):
    from marketing import tasks

    calls = []
    monkeypatch.setattr(tasks.leadgen_process_task, "delay", lambda event_id: calls.append((db.schema_name, event_id)))
    return calls


@pytest.fixture
def acme_page(acme, globex, meta_app):
    MetaPage.objects.create(tenant=acme, page_id="777", name="Acme page")
    MetaPage.objects.create(tenant=globex, page_id="888", name="Globex page")


def test_verification_answers_the_challenge_only_with_the_token(meta_app):
    client = Client(HTTP_HOST="localhost")
    ok = client.get("/meta/webhook/", {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"})
    assert ok.status_code == 200
    assert ok.content == b"42"
    bad = client.get("/meta/webhook/", {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"})
    assert bad.status_code == 403


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha1=abc", None])
def test_unsigned_or_badly_signed_posts_are_refused(acme, acme_page, enqueued, signature):
    response = post(payload(), secret="another-secret") if signature is None else post(payload(), signature=signature)
    assert response.status_code == 403
    assert enqueued == []
    db.set_tenant(acme)
    assert not LeadgenEvent.objects.exists()


def test_an_event_is_stored_once_in_the_pages_company(acme, globex, acme_page, enqueued):
    assert post(payload()).status_code == 200
    assert post(payload()).status_code == 200  # Meta retries: ignored
    assert len(enqueued) == 1
    assert enqueued[0][0] == "acme"
    db.set_tenant(acme)
    event = LeadgenEvent.objects.get()
    assert (event.leadgen_id, event.page_id, event.form_id, event.ad_id) == ("900", "777", "555", "a1")
    db.set_tenant(globex)
    assert not LeadgenEvent.objects.exists()


def test_an_unknown_page_is_ignored(acme_page, enqueued):
    assert post(payload(page_id="999")).status_code == 200
    assert enqueued == []


def test_malformed_bodies_are_refused(acme_page):
    raw = b"not json"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = Client(HTTP_HOST="localhost").post(
        "/meta/webhook/", raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )
    assert response.status_code == 400


@pytest.fixture
def synced(connected):
    account = AdAccount.objects.get()
    campaign = Campaign.objects.create(ad_account=account, meta_id="c1", name="Spring")
    adset = AdSet.objects.create(campaign=campaign, meta_id="s1", name="Madrid")
    return Ad.objects.create(adset=adset, campaign=campaign, meta_id="a1", name="Video")


def graph_lead(graph, leadgen_id="900", phone="+34 612 000 111", **extra):
    graph.leads[leadgen_id] = {
        "created_time": "2015-02-28T08:49:14+0000",
        "id": leadgen_id,
        "ad_id": "a1",
        "form_id": "555",
        "field_data": [
            {"name": "full_name", "values": ["Joe Example"]},
            {"name": "email", "values": ["joe@example.com"]},
            {"name": "phone_number", "values": [phone]},
            {"name": "car_make", "values": ["Honda"]},
        ],
        **extra,
    }


def test_processing_creates_the_lead_with_its_ad_and_answers(tenant, synced, graph_server):
    graph_lead(graph_server)
    event = LeadgenEvent.objects.create(leadgen_id="900", page_id="777", ad_id="a1")
    assert leadgen_process(tenant=tenant, event_id=event.pk) == "created"
    lead = Lead.objects.get(phone="+34612000111")
    assert (lead.first_name, lead.last_name, lead.email, lead.source) == (
        "Joe",
        "Example",
        "joe@example.com",
        "meta_ads",
    )
    assert (lead.meta_campaign_id, lead.meta_adset_id, lead.meta_ad_id, lead.ad_headline) == ("c1", "s1", "a1", "Video")
    entry = TimelineEntry.objects.get(lead=lead, kind="lead_form")
    assert entry.data["answers"]["car_make"] == "Honda"
    event.refresh_from_db()
    assert (event.status, event.lead_id) == ("done", lead.pk)
    # Processing again (a redelivered task) does nothing.
    graph_server.requests.clear()
    assert leadgen_process(tenant=tenant, event_id=event.pk) == "done"
    assert graph_server.requests == []
    assert Lead.objects.filter(phone="+34612000111").count() == 1


def test_an_existing_lead_is_updated_by_phone(tenant, synced, graph_server):
    existing = LeadFactory(phone="+34612000111", first_name="Joseph", last_name="", email="")
    graph_lead(graph_server)
    event = LeadgenEvent.objects.create(leadgen_id="900", page_id="777", ad_id="a1")
    assert leadgen_process(tenant=tenant, event_id=event.pk) == "updated"
    existing.refresh_from_db()
    assert existing.first_name == "Joseph"  # a typed name is never overwritten
    assert existing.email == "joe@example.com"
    assert existing.meta_ad_id == "a1"
    assert Lead.objects.count() == 1


def test_round_robin_assignment_applies(tenant, synced, graph_server, make_member):
    from tenants.models import Role, Tenant

    member = make_member(tenant, Role.SELLER)
    Tenant.objects.filter(pk=tenant.pk).update(lead_assignment="round_robin")
    tenant.lead_assignment = "round_robin"
    db.set_tenant(tenant)
    graph_lead(graph_server)
    event = LeadgenEvent.objects.create(leadgen_id="900", page_id="777", ad_id="a1")
    leadgen_process(tenant=tenant, event_id=event.pk)
    assert Lead.objects.get(phone="+34612000111").seller_id == member.user_id


def test_answers_without_phone_fail_the_event(tenant, synced, graph_server):
    graph_lead(graph_server, phone="")
    event = LeadgenEvent.objects.create(leadgen_id="900", page_id="777", ad_id="a1")
    assert leadgen_process(tenant=tenant, event_id=event.pk) == "failed"
    event.refresh_from_db()
    assert event.status == "failed"
    assert "phone" in event.error
    assert not Lead.objects.exists()


def test_a_missing_lead_at_graph_fails_the_event(tenant, synced, graph_server):
    event = LeadgenEvent.objects.create(leadgen_id="404", page_id="777")
    assert leadgen_process(tenant=tenant, event_id=event.pk) == "failed"
    assert not Lead.objects.exists()
