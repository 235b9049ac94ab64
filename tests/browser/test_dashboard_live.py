"""The dashboard's pending-requests card follows the requests live, like the sidebar's badge (issue 7, bug 4)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants.models import Tenant

pytestmark = pytest.mark.browser


def test_the_pending_requests_card_updates_live_with_the_badge(site, people, person):
    # given an owner of acme on the dashboard
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/"))
    expect(page.locator("body")).to_have_attribute("data-ws", "open")
    page.evaluate("window.sameDocument = true")
    card = page.locator("[data-figure=pending] .stat-value")
    before = int(card.inner_text())
    expect(page.locator("#pending-count")).to_have_text(str(before))

    # when someone asks to join acme
    newcomer = people.member("newcomer", "Nina Newcomer", {})

    def ask():
        from tenants.services import membership_request

        membership_request(user=newcomer, tenant=Tenant.objects.get(slug="acme"), message="Hello")

    people.committed(ask)

    # then the badge and the card both count one more, without a reload
    expect(page.locator("#pending-count")).to_have_text(str(before + 1))
    expect(card).to_have_text(str(before + 1))
    assert page.evaluate("window.sameDocument === true")
