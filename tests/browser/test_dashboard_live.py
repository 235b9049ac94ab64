"""The dashboard's pending-requests card follows the requests live, like the sidebar's badge (issue 7, bug 4),
and the page frame's figures are read again when the notifications socket reconnects."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tenants.models import Tenant
from tests.browser.conftest import DroppableSocket

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


def test_the_bell_and_the_badges_catch_up_when_the_socket_reconnects(site, people, person):
    """A request to join and a notification made while the notifications socket heard nothing (a half-dead
    connection, then a server restart) show once it opens again, without a reload."""
    from core.notifications import notify

    owner = people.member("owner", "Olivia Reconnect", {"acme": "owner"})
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    socket = DroppableSocket(page, "/ws/notifications/")
    page.goto(site.url("acme", "/"))
    expect(page.locator("#sidebar")).to_have_attribute("data-ws", "open")
    page.evaluate("window.sameDocument = true")
    card = page.locator("[data-figure=pending] .stat-value")
    before = int(card.inner_text())
    unread = int(page.locator("#notification-bell").get_attribute("data-unread"))

    # while the socket hears nothing, someone asks to join and the owner is notified
    socket.drop()
    newcomer = people.member("newcomer", "Nora Reconnect", {})

    def ask():
        from tenants.services import membership_request

        tenant = Tenant.objects.get(slug="acme")
        membership_request(user=newcomer, tenant=tenant, message="Hello")
        with tenant_context(tenant):
            notify(tenant=tenant, user_ids=[owner.pk], kind="agenda.task_due", text="Missed while offline")

    people.committed(ask)
    page.wait_for_timeout(500)
    expect(page.locator("#pending-count")).to_have_text(str(before))

    # when the server restarts the socket, the figures are read again
    socket.restart()
    expect(page.locator("body")).to_have_attribute("data-live-caught-up", "1")
    expect(page.locator("#pending-count")).to_have_text(str(before + 1))
    expect(card).to_have_text(str(before + 1))
    expect(page.locator("#notification-bell")).to_have_attribute("data-unread", str(unread + 1))
    assert socket.opened == 2
    assert page.evaluate("window.sameDocument === true")
