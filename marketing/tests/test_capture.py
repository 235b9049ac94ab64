"""Public lead capture forms: served on the company's host and embeddable, keeping UTM fields and the
referrer, a honeypot, throttles, a signed token, and a submission that upserts the lead by phone."""

from __future__ import annotations

import re

import pytest
from django.db import connection as db
from django.test import Client

from crm.models import Lead, TimelineEntry
from crm.tests.factories import LeadFactory, stage
from marketing.models import FormSubmission, LeadForm
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def lead_form(acme, seller):
    db.set_tenant(acme)
    form = LeadForm.objects.create(
        name="Spring",
        slug="spring",
        title="Ask for a quote",
        fields=["first_name", "email"],
        consent_text="I agree to be contacted.",
        thank_you="Thanks, talk soon!",
        target_stage=stage("contacted"),
        seller_rule=LeadForm.SellerRule.SELLER,
        seller_id=seller.user_id,
    )
    db.set_schema_to_public()
    return form


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def visitor():
    return Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.9")


def test_the_form_is_public_embeddable_and_keeps_utm_and_referrer(acme, lead_form, seller):
    client = visitor()
    page = client.get(
        "/marketing/f/spring/", {"utm_source": "fb", "utm_campaign": "spring", "ref": "https://shop.example/p"}
    )
    assert page.status_code == 200
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    html = page.content.decode()
    assert 'name="utm_source" value="fb"' in html
    assert 'value="https://shop.example/p"' in html
    data = {
        "token": _token(html),
        "phone": "612 345 678",
        "first_name": "Ana",
        "email": "ana@example.com",
        "consent": "on",
        "utm_source": "fb",
        "utm_campaign": "spring",
        "ref": "https://shop.example/p",
        "website": "",
    }
    done = client.post("/marketing/f/spring/", data)
    assert done.status_code == 200
    assert b"Thanks, talk soon!" in done.content
    db.set_tenant(acme)
    lead = Lead.objects.get(phone="+34612345678")
    assert (lead.first_name, lead.email, lead.source) == ("Ana", "ana@example.com", "website")
    assert (lead.utm_source, lead.utm_campaign) == ("fb", "spring")
    assert lead.stage.key == "contacted"
    assert lead.seller_id == seller.user_id
    submission = FormSubmission.objects.get()
    assert submission.referrer == "https://shop.example/p"
    assert submission.consent
    assert submission.created_lead
    entry = TimelineEntry.objects.get(lead=lead, kind="lead_form")
    assert entry.data["answers"]["email"] == "ana@example.com"


def test_a_second_submission_updates_the_same_lead(acme, lead_form):
    db.set_tenant(acme)
    existing = LeadFactory(phone="+34612345678", first_name="Ana María", email="")
    db.set_schema_to_public()
    client = visitor()
    token = _token(client.get("/marketing/f/spring/").content.decode())
    client.post(
        "/marketing/f/spring/",
        {"token": token, "phone": "+34612345678", "first_name": "Ana", "email": "ana@example.com", "consent": "on"},
    )
    db.set_tenant(acme)
    existing.refresh_from_db()
    assert Lead.objects.count() == 1
    assert (existing.first_name, existing.email) == ("Ana María", "ana@example.com")


def test_the_honeypot_thanks_and_records_nothing(acme, lead_form):
    client = visitor()
    token = _token(client.get("/marketing/f/spring/").content.decode())
    response = client.post(
        "/marketing/f/spring/", {"token": token, "phone": "612345678", "consent": "on", "website": "http://spam"}
    )
    assert response.status_code == 200
    db.set_tenant(acme)
    assert not Lead.objects.exists()
    assert not FormSubmission.objects.exists()


def test_without_the_token_nothing_is_recorded(acme, lead_form):
    response = visitor().post("/marketing/f/spring/", {"phone": "612345678", "consent": "on"})
    assert response.status_code == 422
    assert b"This form has expired" in response.content
    db.set_tenant(acme)
    assert not Lead.objects.exists()


def test_bad_input_keeps_what_was_typed(acme, lead_form):
    client = visitor()
    token = _token(client.get("/marketing/f/spring/").content.decode())
    response = client.post(
        "/marketing/f/spring/", {"token": token, "phone": "abc", "first_name": "Ana", "consent": "on"}
    )
    assert response.status_code == 422
    assert b'value="Ana"' in response.content
    missing_consent = client.post("/marketing/f/spring/", {"token": token, "phone": "612345678"})
    assert missing_consent.status_code == 422
    db.set_tenant(acme)
    assert not Lead.objects.exists()


def test_throttled_per_address(acme, lead_form, settings):
    from marketing.views import capture

    client = visitor()
    token = _token(client.get("/marketing/f/spring/").content.decode())
    for _i in range(capture.THROTTLE_IP[0]):
        client.post("/marketing/f/spring/", {"token": token, "phone": "abc"})
    blocked = client.post("/marketing/f/spring/", {"token": token, "phone": "612345678", "consent": "on"})
    assert b"Too many attempts" in blocked.content
    db.set_tenant(acme)
    assert not Lead.objects.exists()


def test_embed_script_points_at_the_form(acme, lead_form):
    response = visitor().get("/marketing/f/spring/embed.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert b'"http://acme.localhost/marketing/f/spring/"' in response.content
    assert b"utm_source" in response.content


def test_an_inactive_or_other_companys_form_is_not_found(acme, globex, lead_form):
    assert Client(HTTP_HOST="globex.localhost").get("/marketing/f/spring/").status_code == 404
    assert Client(HTTP_HOST="globex.localhost").get("/marketing/f/spring/embed.js").status_code == 404
    db.set_tenant(acme)
    LeadForm.objects.update(active=False)
    db.set_schema_to_public()
    assert visitor().get("/marketing/f/spring/").status_code == 404


def test_owners_build_forms(acme, owner, seller, client_for):
    client = client_for(owner)
    assert client.get("/marketing/forms/new/").status_code == 200
    refused = client.post("/marketing/forms/new/", {"name": "Web", "slug": "web", "seller_rule": "seller"})
    assert refused.status_code == 400
    assert b"Choose the person" in refused.content
    created = client.post(
        "/marketing/forms/new/",
        {"name": "Web", "slug": "web", "seller_rule": "company", "fields": ["email"], "active": "on"},
    )
    assert created.status_code == 302
    db.set_tenant(acme)
    form = LeadForm.objects.get(slug="web")
    assert form.fields == ["email"]
    assert form.created_by_id == owner.user_id
    db.set_schema_to_public()
    page = client.get(f"/marketing/forms/{form.pk}/")
    assert b"embed.js" in page.content
    assert b"/marketing/f/web/" in client.get("/marketing/forms/").content


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT])
def test_sellers_and_accountants_cannot_edit_forms(acme, lead_form, make_member, client_for, role):
    client = client_for(make_member(acme, role))
    assert client.get("/marketing/forms/").status_code == 403
    assert client.get(f"/marketing/forms/{lead_form.pk}/").status_code == 403


def test_another_companys_owner_cannot_see_acmes_forms(acme, globex_owner, lead_form, client_for):
    assert client_for(globex_owner).get(f"/marketing/forms/{lead_form.pk}/").status_code == 404
    assert b"Spring" not in client_for(globex_owner).get("/marketing/forms/").content
