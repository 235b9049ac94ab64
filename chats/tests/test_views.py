"""Inbox pages and actions, and their isolation: another company, another seller, anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client

from chats.models import Conversation, Message
from chats.tests.factories import make_conversation, make_inbound
from tenants.models import Role


@pytest.fixture
def setup(tenant, numbers, make_member, english):
    """acme: seller A's lead with a conversation (an inbound message with an image), seller B without."""
    connection.set_tenant(tenant)
    seller_a, seller_b = make_member(tenant, Role.SELLER), make_member(tenant, Role.SELLER)
    conversation = make_conversation(tenant, seller_id=seller_a.user_id)
    make_inbound(conversation, "Hola, ¿tenéis cita mañana?")
    image = make_inbound(conversation, "", kind="image", media_mime="image/jpeg", media_state="ready")
    image.media_file.save("photo.jpg", ContentFile(b"\xff\xd8jpeg-bytes"), save=True)
    Conversation.objects.filter(pk=conversation.pk).update(unread_count=2, last_message_preview="Hola")
    connection.set_schema_to_public()
    return {"conversation": conversation, "image": image, "seller_a": seller_a, "seller_b": seller_b}


def urls(setup) -> list[tuple[str, str]]:
    pk, image = setup["conversation"].pk, setup["image"].pk
    return [
        ("get", "/chats/"),
        ("get", f"/chats/{pk}/"),
        ("get", f"/chats/{pk}/older/?before=999999"),
        ("get", f"/chats/{pk}/catch-up/?from={image}"),
        ("post", f"/chats/{pk}/send/"),
        ("post", f"/chats/{pk}/take-over/"),
        ("post", f"/chats/{pk}/release/"),
        ("post", f"/chats/{pk}/stage/"),
        ("post", f"/chats/messages/{image}/retry/"),
        ("get", f"/chats/media/{image}/"),
    ]


def test_owner_sees_the_inbox_and_the_conversation(setup, owner, client_for):
    client = client_for(owner)
    page = client.get("/chats/")
    assert page.status_code == 200
    assert b"Hola" in page.content
    assert b'data-testid="unread">2<' in page.content
    conversation = client.get(f"/chats/{setup['conversation'].pk}/")
    assert conversation.status_code == 200
    assert "¿tenéis cita mañana?" in conversation.content.decode()
    assert f"/chats/media/{setup['image'].pk}/".encode() in conversation.content
    media = client.get(f"/chats/media/{setup['image'].pk}/")
    assert media.status_code == 200
    assert b"".join(media.streaming_content) == b"\xff\xd8jpeg-bytes"
    assert media["Content-Type"] == "image/jpeg"


def test_opening_a_conversation_marks_it_read(setup, owner, client_for, tenant):
    client_for(owner).get(f"/chats/{setup['conversation'].pk}/")
    connection.set_tenant(tenant)
    assert Conversation.objects.get().unread_count == 0


def test_the_leads_seller_sees_it(setup, client_for):
    client = client_for(setup["seller_a"])
    assert client.get(f"/chats/{setup['conversation'].pk}/").status_code == 200
    assert client.get(f"/chats/media/{setup['image'].pk}/").status_code == 200


def test_another_seller_sees_nothing_of_it(setup, client_for):
    client = client_for(setup["seller_b"])
    page = client.get("/chats/")
    assert page.status_code == 200
    assert b"Hola" not in page.content
    for method, url in urls(setup)[1:]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, url


def test_another_company_gets_403_on_every_url_and_404_on_its_own_host(setup, globex_owner, client_for):
    on_acme = Client(HTTP_HOST="acme.localhost")
    on_acme.force_login(globex_owner.user)
    for method, url in urls(setup):
        response = getattr(on_acme, method)(url)
        assert response.status_code == 403, url
        assert b"Hola" not in response.content
    on_globex = client_for(globex_owner)
    for method, url in urls(setup)[1:]:
        response = getattr(on_globex, method)(url)
        assert response.status_code == 404, url


def test_anonymous_is_sent_to_sign_in(setup):
    anonymous = Client(HTTP_HOST="acme.localhost")
    for method, url in urls(setup):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.MARKETING])
def test_other_roles_are_refused(setup, make_member, client_for, acme, role):
    client = client_for(make_member(acme, role))
    for method, url in urls(setup):
        assert getattr(client, method)(url).status_code == 403, url


def test_seller_replies_from_the_composer(setup, client_for, tenant, queued, django_capture_on_commit_callbacks):
    client = client_for(setup["seller_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/chats/{setup['conversation'].pk}/send/", {"text": "Sí, a las 10"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert b"S\xc3\xad, a las 10" in response.content
    connection.set_tenant(tenant)
    sent = Message.objects.get(direction="out")
    assert (sent.text, sent.author_id, sent.status) == ("Sí, a las 10", setup["seller_a"].user_id, "queued")
    assert queued == [("message_send_task", (sent.pk,))]


def test_outside_the_window_the_composer_says_a_template_is_needed(setup, owner, client_for, tenant, queued):
    connection.set_tenant(tenant)
    Conversation.objects.update(last_inbound_at=setup["conversation"].last_inbound_at - timedelta(days=2))
    connection.set_schema_to_public()
    client = client_for(owner)
    page = client.get(f"/chats/{setup['conversation'].pk}/")
    assert b'data-testid="window-closed"' in page.content
    response = client.post(f"/chats/{setup['conversation'].pk}/send/", {"text": "Hi"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert b"approved template" in response.content
    connection.set_tenant(tenant)
    assert not Message.objects.filter(direction="out").exists()


def test_an_attachment_is_sent_as_media(setup, owner, client_for, tenant, queued):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client_for(owner).post(
        f"/chats/{setup['conversation'].pk}/send/", {"attachment": upload, "text": "Offer"}
    )
    assert response.status_code == 302
    connection.set_tenant(tenant)
    sent = Message.objects.get(direction="out")
    assert (sent.kind, sent.media_name, sent.text, sent.media_mime) == (
        "document",
        "offer.pdf",
        "Offer",
        "application/pdf",
    )
    assert sent.media_file.read() == b"%PDF-1.4 test"


def test_take_over_and_release(setup, client_for, tenant):
    client = client_for(setup["seller_a"])
    pk = setup["conversation"].pk
    response = client.post(f"/chats/{pk}/take-over/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'data-testid="takeover-timer"' in response.content
    connection.set_tenant(tenant)
    conversation = Conversation.objects.get(pk=pk)
    assert conversation.agent_silenced
    assert conversation.taken_over_by_id == setup["seller_a"].user_id
    assert (
        timedelta(hours=23, minutes=59) < conversation.takeover_until - conversation.updated_at <= timedelta(hours=24)
    )
    connection.set_schema_to_public()
    response = client.post(f"/chats/{pk}/release/", HTTP_HX_REQUEST="true")
    assert b'data-testid="take-over"' in response.content
    connection.set_tenant(tenant)
    assert not Conversation.objects.get(pk=pk).agent_silenced


def test_filters_and_search(setup, owner, client_for, tenant):
    connection.set_tenant(tenant)
    other = make_conversation(tenant, phone="+34644555666")
    Conversation.objects.filter(pk=other.pk).update(last_message_preview="precio del corte")
    connection.set_schema_to_public()
    client = client_for(owner)

    def rows(**params):
        page = client.get("/chats/", params)
        return page.content.decode().count('data-testid="conversation-row"')

    assert rows() == 2
    assert rows(q="corte") == 1
    assert rows(q="644555") == 1
    assert rows(filter="unread") == 1
    assert rows(filter="unassigned") == 1
    assert rows(filter="taken") == 0
    assert rows(filter="agent") == 2


def test_move_stage_from_the_side_panel(setup, owner, client_for, tenant):
    from crm.public import pipeline_stages

    connection.set_tenant(tenant)
    target = pipeline_stages()[1]
    connection.set_schema_to_public()
    response = client_for(owner).post(f"/chats/{setup['conversation'].pk}/stage/", {"stage": target.pk})
    assert response.status_code == 302
    connection.set_tenant(tenant)
    assert Conversation.objects.get().lead.stage_id == target.pk


def test_a_reconnecting_pane_catches_up_from_its_last_bubbles(setup, owner, client_for, tenant):
    """What was published while the pane's socket was not open yet (or dropped) comes back on reconnect:
    the anchor bubble and everything after it, with their current status."""
    connection.set_tenant(tenant)
    conversation = setup["conversation"]
    first = conversation.messages.order_by("created_at", "pk").first()
    later = make_inbound(conversation, "sent while the socket was closed", provider_message_id="wamid.gap.1")
    connection.set_schema_to_public()
    client = client_for(owner)

    page = client.get(f"/chats/{conversation.pk}/")
    assert f'data-catch-up-url="/chats/{conversation.pk}/catch-up/"'.encode() in page.content
    response = client.get(f"/chats/{conversation.pk}/catch-up/?from={setup['image'].pk}", HTTP_HX_REQUEST="true")
    body = response.content.decode()

    assert response.status_code == 200
    assert f'id="msg-{setup["image"].pk}"' in body
    assert f'id="msg-{later.pk}"' in body
    assert f'id="msg-{first.pk}"' not in body  # before the anchor: already on the page
    assert body.index(f'msg-{setup["image"].pk}"') < body.index(f'msg-{later.pk}"')


@pytest.mark.parametrize("anchor", ["999999", "abc", ""])
def test_a_catch_up_from_an_unknown_anchor_reloads_the_page(setup, owner, client_for, anchor):
    response = client_for(owner).get(f"/chats/{setup['conversation'].pk}/catch-up/?from={anchor}")
    assert (response.status_code, response["HX-Refresh"], response.content) == (204, "true", b"")


def test_a_catch_up_after_too_many_messages_reloads_the_page(setup, owner, client_for, tenant, monkeypatch):
    from chats import selectors

    monkeypatch.setattr(selectors, "CATCH_UP", 1)  # two messages follow the first one, counting itself
    connection.set_tenant(tenant)
    first = setup["conversation"].messages.order_by("created_at", "pk").first()
    connection.set_schema_to_public()
    response = client_for(owner).get(f"/chats/{setup['conversation'].pk}/catch-up/?from={first.pk}")
    assert (response.status_code, response["HX-Refresh"]) == (204, "true")


def test_older_messages_load_in_pages(setup, owner, client_for, tenant):
    connection.set_tenant(tenant)
    conversation = setup["conversation"]
    for n in range(45):
        make_inbound(conversation, f"old message {n}", provider_message_id=f"wamid.old.{n}")
    connection.set_schema_to_public()
    client = client_for(owner)
    page = client.get(f"/chats/{conversation.pk}/").content.decode()
    assert "old message 0<" not in page
    assert "Loading older messages" in page
    connection.set_tenant(tenant)
    oldest_shown = Message.objects.order_by("created_at", "pk")[7]
    connection.set_schema_to_public()
    older = client.get(
        f"/chats/{conversation.pk}/older/?before={oldest_shown.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "old message 0<" in older
