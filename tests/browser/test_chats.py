"""The WhatsApp inbox, live: a simulated inbound message appears in an open inbox; a seller replies and
sees the delivery ticks; taking a conversation over shows the agent's silence timer."""

from __future__ import annotations

import re
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chats.models import Conversation, Message
from chats.simulator import inbound_body
from chats.webhooks.intake import cloud_signature, sandbox_secret
from tenants.models import Tenant, WhatsAppNumber
from tests.browser.conftest import DroppableSocket
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.browser
NUMBER_ID = "sandbox-browser-acme"


@pytest.fixture
def sandbox(people, leads):
    """A committed sandbox number for acme; it and the webhook deliveries of the test go afterwards."""

    def create():
        mark = WebhookEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        WhatsAppNumber.objects.get_or_create(
            provider="sandbox",
            phone_number_id=NUMBER_ID,
            defaults={"tenant": Tenant.objects.get(slug="acme"), "display_phone": "+1 555 0100 77"},
        )
        return mark

    mark = people.committed(create)
    yield NUMBER_ID

    def delete():
        WebhookEvent.objects.filter(pk__gt=mark).delete()
        WhatsAppNumber.objects.filter(phone_number_id=NUMBER_ID).delete()

    people.committed(delete)


def post_webhook(site, body: bytes) -> int:
    request = urllib.request.Request(  # noqa: S310 (loopback test server)
        site.url(None, "/webhooks/whatsapp/cloud/"),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": cloud_signature(body, sandbox_secret(NUMBER_ID)),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def open_inbox(site, people, person, user, path="/chats/"):
    context = person()
    people.sign_in(context, user, "acme")
    page = context.new_page()
    page.goto(site.url("acme", path))
    expect(page.locator("#chats-live")).to_have_attribute("data-ws", "open")
    page.evaluate("window.sameDocument = true")
    return page


def conversation_for(leads, lead, *, inbound_ago=timedelta(minutes=2)):
    def create():
        now = timezone.now()
        conversation = Conversation.objects.create(
            lead=lead, provider="sandbox", phone_number_id=NUMBER_ID, business_phone="+1 555 0100 77",
            last_inbound_at=now - inbound_ago, last_message_at=now - inbound_ago, last_message_preview="Hi there",
        )  # fmt: skip
        Message.objects.create(
            conversation=conversation, direction="in", kind="text", text="Hi there", status="received",
            sender="lead", provider_message_id=f"wamid.browser.{conversation.pk}",
        )  # fmt: skip
        return conversation

    return leads.read(create)


def test_a_simulated_inbound_message_appears_live_in_an_open_inbox(
    site, people, person, leads, sandbox, worker, screenshot
):
    owner = people.member("owner", "Olivia Inbox", {"acme": "owner"})
    page = open_inbox(site, people, person, owner)
    expect(page.locator("#sidebar")).to_have_attribute("data-ws", "open")
    badge = page.locator("#chats-unread-badge")
    unread_before = int(badge.get_attribute("data-unread"))
    phone = f"+3469{int(time.time() * 1000) % 10_000_000:07d}"
    body = inbound_body(phone_number_id=NUMBER_ID, phone=phone, name="Lucía Live", text="¿Tenéis cita el sábado?")
    assert post_webhook(site, body) == 200
    row = page.locator('[data-testid="conversation-row"]', has_text="¿Tenéis cita el sábado?")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Lucía Live")
    expect(row.locator('[data-testid="unread"]')).to_have_text("1")
    # the sidebar's badge follows, on the notifications socket every page keeps open
    expect(badge).to_have_attribute("data-unread", str(unread_before + 1))
    expect(badge).to_have_text(str(unread_before + 1))
    expect(badge).to_be_visible()
    assert page.evaluate("window.sameDocument === true")
    screenshot(page, "chats-inbox")


def test_a_seller_replies_and_sees_the_delivery_ticks(site, people, person, leads, sandbox, worker, screenshot):
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    lead = leads.create(phone="+34655123456", seller=seller, first_name="Rosa")
    conversation = conversation_for(leads, lead)
    page = open_inbox(site, people, person, seller, f"/chats/{conversation.pk}/")
    expect(page.locator('[data-testid="chat-thread"]')).to_contain_text("Hi there")
    page.locator('[data-testid="composer-text"]').fill("Yes, Saturday at 10:00 works")
    page.locator('[data-testid="composer-send"]').click()
    bubble = page.locator(".bubble-out", has_text="Yes, Saturday at 10:00 works")
    expect(bubble).to_have_count(1)
    # The worker sends it (the fake provider in tests) and the bubble turns "sent" live.
    expect(bubble).to_have_attribute("data-status", "sent")
    expect(bubble.locator('[data-testid="ticks"]')).to_have_text("✓")
    expect(page.locator('[data-testid="composer-text"]')).to_have_value("")

    # the provider then reports it delivered, through the real webhook
    wamid = leads.read(
        lambda: Message.objects.get(conversation_id=conversation.pk, direction="out").provider_message_id
    )
    from chats.clients.sandbox import status_body

    delivered = status_body(phone_number_id=NUMBER_ID, wamid=wamid, status="delivered", recipient="+34655123456")
    assert post_webhook(site, delivered) == 200
    expect(bubble).to_have_attribute("data-status", "delivered")
    expect(bubble.locator('[data-testid="ticks"]')).to_have_text("✓✓")
    assert page.evaluate("window.sameDocument === true")
    screenshot(page, "chats-conversation")


def test_taking_over_shows_the_silence_timer(site, people, person, leads, sandbox):
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    lead = leads.create(phone="+34655987654", seller=seller, first_name="Pablo")
    conversation = conversation_for(leads, lead)
    page = open_inbox(site, people, person, seller, f"/chats/{conversation.pk}/")
    page.locator('[data-testid="take-over"]').click()
    timer = page.locator('[data-testid="takeover-timer"]')
    expect(timer).to_have_text(re.compile(r"^2[34]:\d\d:\d\d$"))
    assert leads.read(lambda: Conversation.objects.get(pk=conversation.pk).agent_silenced)
    page.locator('[data-testid="release"]').click()
    expect(page.locator('[data-testid="take-over"]')).to_be_visible()
    assert not leads.read(lambda: Conversation.objects.get(pk=conversation.pk).agent_silenced)


def test_on_a_phone_the_list_and_the_conversation_take_turns(site, people, person, leads, sandbox):
    owner = people.member("owner", "Olivia Phone", {"acme": "owner"})
    lead = leads.create(phone="+34655111222", first_name="Marta")
    conversation = conversation_for(leads, lead)
    context = person(viewport={"width": 390, "height": 800})
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.goto(site.url("acme", "/chats/"))
    row = page.locator(f'[data-conversation="{conversation.pk}"]')
    expect(row).to_be_visible()
    row.click()
    expect(page.locator('[data-testid="composer-text"]')).to_be_visible()
    expect(page.locator('[data-testid="conversation-list"]')).to_be_hidden()


def test_an_open_conversation_catches_up_on_what_it_missed_while_its_socket_was_down(
    site, people, person, leads, sandbox
):
    """A page renders before its socket opens, and a socket drops (a server restart closes it with 1012):
    events published meanwhile never reach the page, so on reconnecting it fetches what it missed."""
    from chats.realtime import announce_message

    owner = people.member("owner", "Olivia Gap", {"acme": "owner"})
    lead = leads.create(phone="+34611000888", first_name="Gael", last_name=people.run)
    conversation = conversation_for(leads, lead)
    context = person()
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    socket = DroppableSocket(page, "/ws/chats/")
    page.goto(site.url("acme", f"/chats/{conversation.pk}/"))
    expect(page.locator("#chats-live")).to_have_attribute("data-ws", "open")
    expect(page.locator("body")).to_have_attribute("data-chats-caught-up", "1")  # the opening catch-up is done
    page.evaluate("window.sameDocument = true")

    # While the page hears nothing, the lead writes: the live event is lost on the way
    socket.drop()
    text = f"Sent during the outage {people.run}"

    def arrive():
        message = Message.objects.create(
            conversation=conversation, direction="in", kind="text", text=text, status="received",
            sender="lead", provider_message_id=f"wamid.gap.{people.run}",
        )  # fmt: skip
        announce_message(message=message, event="MESSAGE_NEW")

    leads.read(arrive)
    thread = page.get_by_test_id("chat-thread")
    page.wait_for_timeout(500)
    expect(thread.get_by_text(text)).to_have_count(0)

    # When the server restarts the socket, the page reconnects and catches up, without reloading
    socket.restart()
    expect(page.locator("body")).to_have_attribute("data-chats-caught-up", "2")
    expect(thread.get_by_text(text)).to_be_visible()
    expect(thread.get_by_text(text)).to_have_count(1)
    assert socket.opened == 2
    assert page.evaluate("window.sameDocument === true")


def test_a_status_that_outruns_its_bubble_is_applied_when_the_bubble_appears(site, people, person, leads, sandbox):
    """The worker can send a message and announce "sent" before the answer that puts the "queued" bubble on
    the page arrives: htmx finds no element for the live fragment, the inbox keeps it, and it replaces the
    bubble once the bubble is swapped in."""
    seller = people.member("seller", "Sam Seller", {"acme": "seller"})
    lead = leads.create(phone="+34655123999", seller=seller, first_name="Rita")
    conversation = conversation_for(leads, lead)
    page = open_inbox(site, people, person, seller, f"/chats/{conversation.pk}/")
    page.evaluate(
        """() => {
        const early = document.createElement("div");
        early.id = "msg-987654321"; early.className = "bubble bubble-out"; early.dataset.status = "sent";
        early.setAttribute("hx-swap-oob", "true");
        const miss = {bubbles: true, detail: {content: early}};
        document.body.dispatchEvent(new CustomEvent("htmx:oobErrorNoTarget", miss));
        const box = document.querySelector(".chat-thread");
        const late = document.createElement("div");
        late.id = "msg-987654321"; late.className = "bubble bubble-out"; late.dataset.status = "queued";
        box.appendChild(late);
        box.dispatchEvent(new CustomEvent("htmx:afterSettle", {bubbles: true}));
    }"""
    )
    expect(page.locator("#msg-987654321")).to_have_attribute("data-status", "sent")
    expect(page.locator("#msg-987654321")).to_have_count(1)
