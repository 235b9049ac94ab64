"""core.realtime.publish: after commit only, to `<schema>.<topic>` on the real Redis channel layer."""

from __future__ import annotations

from uuid import uuid4

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from core.realtime import group_name, publish

pytestmark = pytest.mark.django_db

END = {"type": "probe.end"}


@pytest.fixture
def listen():
    """listen(group) -> a channel subscribed to `group` for this test (unsubscribed afterwards)."""
    layer = get_channel_layer()
    subscriptions = []

    def subscribe(group: str) -> str:
        channel = f"probe-{uuid4().hex}"
        async_to_sync(layer.group_add)(group, channel)
        subscriptions.append((group, channel))
        return channel

    yield subscribe
    for group, channel in subscriptions:
        async_to_sync(layer.group_discard)(group, channel)


def received(channel: str) -> list[dict]:
    """Everything sent to `channel` so far, in order. A marker sent now comes out after all of it (a
    channel is a queue), so an empty answer needs no waiting and proves nothing was sent."""
    layer = get_channel_layer()

    async def drain():
        await layer.send(channel, END)
        messages = []
        while (message := await layer.receive(channel)) != END:
            messages.append(message)
        await layer.wait_received()
        return messages

    return async_to_sync(drain)()


def test_group_name_carries_the_schema():
    assert group_name("acme", "pipeline") == "acme.pipeline"


def test_publish_reaches_the_current_tenants_group_only_once_the_transaction_commits(
    tenant, listen, django_capture_on_commit_callbacks
):
    # Given listeners on acme's and globex's notifications, and the connection inside acme
    acme_channel = listen("acme.notifications")
    globex_channel = listen("globex.notifications")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # When a change publishes inside the transaction
        publish(topic="notifications", event="STAFF_PENDING", html="<b>2</b>", data={"n": 2}, roles=("owner",))
        # Then nothing is sent before the commit
        before_commit = received(acme_channel)

    # And once it commits, acme's group gets it, exactly as published, and globex's gets nothing
    assert before_commit == []
    assert len(callbacks) == 1
    assert received(acme_channel) == [
        {
            "type": "broadcast",
            "event": "STAFF_PENDING",
            "html": "<b>2</b>",
            "data": {"n": 2},
            "roles": ["owner"],
            "user_ids": [],
        }
    ]
    assert received(globex_channel) == []


def test_publish_sends_nothing_when_the_transaction_rolls_back(tenant, listen, django_capture_on_commit_callbacks):
    channel = listen("acme.pipeline")

    def failing_write():
        with transaction.atomic():
            publish(topic="pipeline", event="LEAD_MOVED", html="<li>moved</li>")
            raise RuntimeError("the write failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_write()

    assert callbacks == []
    assert received(channel) == []


def test_publish_to_an_explicit_schema_goes_to_that_schemas_group(tenant, listen, django_capture_on_commit_callbacks):
    acme_channel = listen("acme.agenda")
    globex_channel = listen("globex.agenda")

    with django_capture_on_commit_callbacks(execute=True):
        publish(topic="agenda", event="NEW_APPOINTMENT", schema_name="globex")

    assert connection.schema_name == "acme"
    assert received(acme_channel) == []
    assert received(globex_channel) == [
        {"type": "broadcast", "event": "NEW_APPOINTMENT", "html": "", "data": {}, "roles": [], "user_ids": []}
    ]


def test_unknown_topic_raises_and_schedules_nothing(tenant, listen, django_capture_on_commit_callbacks):
    channel = listen("acme.nonsense")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValueError, match="unknown topic 'nonsense'"),
    ):
        publish(topic="nonsense", event="LEAD_CREATED")

    assert callbacks == []
    assert received(channel) == []


def test_publish_outside_any_tenant_raises_and_schedules_nothing(db, listen, django_capture_on_commit_callbacks):
    channel = listen("public.notifications")
    connection.set_schema_to_public()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValueError, match="publish needs a tenant"),
    ):
        publish(topic="notifications", event="STAFF_PENDING")

    assert callbacks == []
    assert received(channel) == []


def test_a_fragment_given_as_a_function_is_rendered_in_every_language(
    tenant, listen, django_capture_on_commit_callbacks, settings
):
    from django.utils import translation

    channel = listen(group_name(tenant.schema_name, "notifications"))
    seen = []

    def render() -> str:
        seen.append(translation.get_language())
        return f"<i>{translation.gettext('Close')}</i>"

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        publish(topic="notifications", event="PING", html=render)

    (message,) = received(channel)
    assert sorted(seen) == sorted(code for code, _name in settings.LANGUAGES)
    assert message["html_by_language"] == {"es": "<i>Cerrar</i>", "en": "<i>Close</i>", "fr": "<i>Fermer</i>"}
    assert message["html"] == "<i>Cerrar</i>"  # the default language, for a reader that knows no language
