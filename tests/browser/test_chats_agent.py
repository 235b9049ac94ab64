"""The AI agent hands a conversation to a person: the lead's seller, with the inbox open, gets a live
notification that opens that conversation, where the agent's hand-off shows."""

from __future__ import annotations

import time

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from chats.agent.clients import fakes
from chats.agent.clients.fakes import call, say
from core.models import Notification
from tenants.models import Tenant
from tests.browser import test_chats

sandbox = test_chats.sandbox  # the inbox tests' fixture: a committed sandbox number for acme

pytestmark = pytest.mark.browser


@pytest.fixture
def no_sending(monkeypatch):
    """The agent's replies are queued, not sent (no worker in this module): nothing is left on the queue."""
    from chats import tasks

    monkeypatch.setattr(tasks.message_send_task, "delay", lambda *args: None)
    fakes.uninstall()
    yield
    fakes.uninstall()


def test_a_handoff_notification_opens_the_conversation(site, people, person, leads, no_sending):
    from chats.agent.runner import agent_answer
    from chats.tests.factories import make_conversation, make_inbound

    seller = people.member("seller", "Sara Seller", {"acme": "seller"})
    boss = people.member("owner", "Olga Owner", {"acme": "owner"})
    lead = leads.create(phone="+34611000777", first_name="Hugo", last_name=people.run, seller=seller)

    def conversation_with_a_message() -> int:
        tenant = Tenant.objects.get(slug="acme")
        conversation = make_conversation(tenant, phone=lead.phone, seller_id=seller.pk)
        make_inbound(conversation, "Quiero hablar con una persona", provider_message_id=f"wamid.{people.run}")
        return conversation.pk

    conversation_id = leads.read(conversation_with_a_message)
    try:
        context = person()
        people.sign_in(context, seller, "acme")
        page = context.new_page()
        page.goto(site.url("acme", "/chats/"))
        expect(page.locator("body")).to_have_attribute("data-ws", "open")
        expect(page.locator("#notification-bell")).to_have_attribute("data-unread", "0")
        # The owner has the conversation open: the agent's panel follows its runs live.
        owner_context = person()
        people.sign_in(owner_context, boss, "acme")
        owner_page = owner_context.new_page()
        owner_page.goto(site.url("acme", f"/chats/{conversation_id}/"))
        expect(owner_page.locator("body")).to_have_attribute("data-ws", "open")
        expect(owner_page.get_by_test_id("agent-panel")).to_contain_text("The agent has not answered")

        fakes.install(
            call("derivhumano", reason=f"Hugo {people.run} asks for a person"), say("Te paso con un compañero.")
        )

        def agent_runs() -> str:
            tenant = Tenant.objects.get(slug="acme")
            tenant.ai_enabled = True  # in memory: the shared row stays as it was
            with tenant_context(tenant):
                return agent_answer(tenant=tenant, conversation_id=conversation_id).status

        assert people.committed(agent_runs) == "handed_off"

        expect(page.locator("#notification-bell")).to_have_attribute("data-unread", "1")
        panel = owner_page.get_by_test_id("agent-panel")
        expect(panel.locator('[data-tool="derivhumano"]')).to_be_visible()
        expect(panel.locator(".agent-run.outcome-handed_off")).to_have_count(1)
        # rendered by the agent's process, shown in the owner's own language like the rest of the page
        expect(panel.locator("h3")).to_have_text("AI agent")
        expect(panel).to_contain_text("All runs")
        toast = page.locator(".toast-notification", has_text=f"Hugo {people.run} asks for a person")
        expect(toast).to_be_visible()
        toast.get_by_role("link").click()
        expect(page).to_have_url(site.url("acme", f"/chats/{conversation_id}/"))
        thread = page.get_by_test_id("chat-thread")
        expect(thread.get_by_text("Quiero hablar con una persona")).to_be_visible()
        expect(thread.get_by_text("Te paso con un compañero.")).to_be_visible()
        expect(page.get_by_test_id("agent-panel")).to_have_count(0)  # the agent's runs are for owners
    finally:

        def forget() -> None:
            with tenant_context(Tenant.objects.get(slug="acme")):
                Notification.objects.filter(user_id__in=[seller.pk, boss.pk]).delete()

        people.committed(forget)


def test_the_agent_answers_a_simulated_message_live_through_the_worker(site, people, person, leads, sandbox, worker):
    """The whole path with real processes: the webhook (Daphne), the worker storing the message and running
    the agent (the fake model in tests answers a greeting in the lead's language), and the inbox socket."""
    from tests.browser.test_chats import inbound_body, open_inbox, post_webhook

    owner = people.member("owner", "Olivia Agent", {"acme": "owner"})
    people.committed(lambda: Tenant.objects.filter(slug="acme").update(ai_enabled=True))
    try:
        page = open_inbox(site, people, person, owner)
        phone = f"+3368{int(time.time() * 1000) % 10_000_000:07d}"
        body = inbound_body(
            phone_number_id=sandbox, phone=phone, name="Léa Live", text="Bonjour, je voudrais un rendez-vous jeudi"
        )
        assert post_webhook(site, body) == 200
        row = page.locator('[data-testid="conversation-row"]', has_text="Léa Live")
        expect(row).to_be_visible()
        row.click()
        thread = page.get_by_test_id("chat-thread")
        expect(thread.get_by_text(fakes.GREETINGS["fr"])).to_be_visible()
        expect(page.get_by_test_id("agent-panel").locator(".agent-run.outcome-replied")).to_have_count(1)
        expect(page.get_by_test_id("agent-panel")).to_contain_text("All runs")
    finally:
        people.committed(lambda: Tenant.objects.filter(slug="acme").update(ai_enabled=False))
