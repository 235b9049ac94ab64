"""Every marketing URL probed from another company, from the roles it does not admit and anonymously:
nothing of acme is shown or changed. The URL walk fails when a new URL has no probe here. Tasks run in
one company never touch another's data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection as db
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from chats.models import Message
from chats.tests.factories import make_conversation
from marketing.models import AutomationRule, LeadForm, MetaConnection, WhatsAppTemplate
from tenants.models import MetaPage, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@dataclass(frozen=True)
class Probe:
    method: str
    url: str
    data: tuple = ()
    public: bool = False  # the visitor's pages: answered on acme's host only, 404 elsewhere
    chat: bool = False  # the inbox composer's: sellers allowed, but only on their own conversations


PROBES = {
    "marketing:hub": Probe("get", "/marketing/"),
    "marketing:drilldown": Probe("get", "/marketing/leads/"),
    "marketing:sync": Probe("post", "/marketing/sync/"),
    "marketing:connection": Probe("get", "/marketing/meta/"),
    "marketing:oauth-start": Probe("post", "/marketing/meta/connect/"),
    "marketing:oauth-callback": Probe("get", "/marketing/meta/callback/?code=x&state=y"),
    "marketing:manual-token": Probe("post", "/marketing/meta/token/", (("token", "t"),)),
    "marketing:accounts": Probe("post", "/marketing/meta/accounts/", (("accounts", "act_1"),)),
    "marketing:disconnect": Probe("post", "/marketing/meta/disconnect/"),
    "marketing:sandbox": Probe("post", "/marketing/meta/sandbox/"),
    "marketing:page-add": Probe("post", "/marketing/meta/pages/", (("page_id", "12345"),)),
    "marketing:page-remove": Probe("post", "/marketing/meta/pages/{page}/remove/"),
    "marketing:form-list": Probe("get", "/marketing/forms/"),
    "marketing:form-new": Probe("post", "/marketing/forms/new/", (("name", "x"), ("slug", "x"))),
    "marketing:form-edit": Probe("post", "/marketing/forms/{form}/", (("name", "x"), ("slug", "x"))),
    "marketing:public-form": Probe("get", "/marketing/f/acme-form/", public=True),
    "marketing:form-embed": Probe("get", "/marketing/f/acme-form/embed.js", public=True),
    "marketing:template-list": Probe("get", "/marketing/templates/"),
    "marketing:template-detail": Probe("post", "/marketing/templates/{template}/", (("stage", ""),)),
    "marketing:template-variables": Probe("post", "/marketing/templates/{template}/variables/"),
    "marketing:rule-list": Probe("get", "/marketing/rules/"),
    "marketing:conversation-template": Probe(
        "post", "/marketing/conversations/{conversation}/template/", (("template", "{template}"),), chat=True
    ),
    "marketing:rule-new": Probe("post", "/marketing/rules/new/", (("name", "x"),)),
    "marketing:rule-edit": Probe("post", "/marketing/rules/{rule}/", (("name", "x"),)),
}


def _names() -> set[str]:
    def walk(patterns, namespace=None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "marketing":
                yield f"marketing:{entry.name}"

    return set(walk(get_resolver("config.urls_tenants").url_patterns))


def test_every_marketing_url_is_probed():
    assert _names() == set(PROBES)


@pytest.fixture
def acme_world(acme):
    db.set_tenant(acme)
    MetaConnection.objects.create(method="manual", meta_user_name="Acme secret user")
    ids = {
        "form": LeadForm.objects.create(name="secret form", slug="acme-form").pk,
        "template": WhatsAppTemplate.objects.create(name="secret_t", language="es", status="APPROVED").pk,
        "rule": AutomationRule.objects.create(
            name="secret rule", trigger="no_reply", trigger_hours=1, action="tag", params={"tag": "x"}
        ).pk,
        "page": MetaPage.objects.create(tenant=acme, page_id="4040", name="secret page").pk,
        "conversation": make_conversation(acme, phone="+34611999888").pk,
    }
    db.set_schema_to_public()
    return ids


def _send(client, probe: Probe, ids: dict):
    url = probe.url.format(**ids)
    data = {key: value.format(**ids) for key, value in probe.data}
    return client.get(url) if probe.method == "get" else client.post(url, data)


def _unchanged(acme, ids):
    db.set_tenant(acme)
    assert MetaConnection.objects.get().meta_user_name == "Acme secret user"
    assert LeadForm.objects.get(pk=ids["form"]).name == "secret form"
    assert AutomationRule.objects.get(pk=ids["rule"]).name == "secret rule"
    assert LeadForm.objects.count() == 1
    assert AutomationRule.objects.count() == 1
    assert MetaPage.objects.filter(pk=ids["page"]).exists()
    assert not Message.objects.filter(conversation_id=ids["conversation"]).exists()
    db.set_schema_to_public()


@pytest.mark.parametrize("name", sorted(PROBES))
@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT])
def test_refused_roles_get_403(name, role, acme, acme_world, make_member, client_for):
    probe = PROBES[name]
    response = _send(client_for(make_member(acme, role)), probe, acme_world)
    if probe.public:
        assert response.status_code == 200
    elif probe.chat and role == Role.SELLER:
        assert response.status_code == 404  # not this seller's conversation
    else:
        assert response.status_code == 403
        assert b"secret" not in response.content
    _unchanged(acme, acme_world)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_another_companys_owner_gets_403_on_acme_and_nothing_on_its_own_host(
    name, acme, globex, acme_world, globex_owner, client_for
):
    probe = PROBES[name]
    on_acme = _send(client_for(globex_owner.user, acme), probe, acme_world)
    if not probe.public:
        assert on_acme.status_code == 403
    on_globex = _send(client_for(globex_owner), probe, acme_world)
    assert b"secret" not in on_globex.content
    if "{" in probe.url:
        assert on_globex.status_code == 404
    if probe.public:
        assert on_globex.status_code == 404
    _unchanged(acme, acme_world)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_anonymous_visitors_are_sent_to_sign_in(name, acme, acme_world):
    probe = PROBES[name]
    response = _send(Client(HTTP_HOST="acme.localhost"), probe, acme_world)
    if probe.public:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    _unchanged(acme, acme_world)


def test_tasks_stay_in_their_company(acme, globex, acme_world):
    from django_tenants.utils import tenant_context

    from marketing.tasks import meta_sync_task, rules_scan_task

    with tenant_context(globex):
        assert meta_sync_task.run() == {"insights": 0, "skipped": "not connected", "error": ""}
        assert rules_scan_task.run() == 0
    _unchanged(acme, acme_world)
