"""What one tenant writes never shows on another tenant's pages."""

import pytest

from core.audit import audit_log
from tenants.models import MembershipStatus, Role
from tenants.vault import vault_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ACME_SECRET = "sk-acme-only-0123456789abcdef"


@pytest.fixture
def acme_data(acme, owner, make_member, in_schema):
    """Members, an audit entry and a credential in acme."""
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING, email="pending.person@acme.example")
    with in_schema(acme):
        audit_log(action="acme.secret-deal", actor=owner.user, object_repr="Acme confidential deal")
        vault_set(
            tenant=acme, kind="openai", values={"api_key": ACME_SECRET, "model": "acme-model-x"}, actor=owner.user
        )
    return {"owner": owner, "pending": pending}


def _body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_globex_staff_list_shows_only_globex_members(acme_data, globex, globex_owner, client_for):
    body = _body(client_for(globex_owner).get("/staff/"))

    assert globex_owner.user.email in body
    assert "pending.person@acme.example" not in body
    assert acme_data["owner"].user.email not in body
    assert "founder@acme.test" not in body


def test_globex_staff_search_does_not_reach_acme(acme_data, globex_owner, client_for):
    response = client_for(globex_owner).get("/staff/", {"q": "acme"})

    emails = [m.user.email for m in response.context["page"].object_list]
    assert emails == []


def test_globex_audit_log_shows_nothing_of_acme(acme_data, globex_owner, client_for):
    response = client_for(globex_owner).get("/audit/")

    body = _body(response)
    actions = {entry.action for entry in response.context["page"].object_list}
    assert "acme.secret-deal" not in actions
    assert "credential.set" not in actions
    assert "Acme confidential deal" not in body
    assert "acme.secret-deal" not in body
    assert "Acme Test" not in body


def test_globex_settings_show_no_acme_credentials(acme_data, globex_owner, client_for):
    response = client_for(globex_owner).get("/settings/")

    body = _body(response)
    assert [row["kind"] for row in response.context["credentials"] if row["configured"]] == []
    assert "acme-model-x" not in body
    assert ACME_SECRET[-4:] not in body
    assert "Acme Test" not in body


def test_globex_credential_page_shows_no_acme_values(acme_data, globex_owner, client_for):
    response = client_for(globex_owner).get("/settings/credentials/openai/")

    body = _body(response)
    assert response.context["masked"] == {}
    assert "acme-model-x" not in body


def test_globex_owner_cannot_delete_acme_credentials_from_globex(acme, acme_data, globex_owner, client_for):
    from tenants.models import Credential

    client_for(globex_owner).post("/settings/credentials/openai/delete/")

    assert Credential.objects.filter(tenant=acme, kind="openai").count() == 1


def test_acme_pages_show_acme_data(acme_data, client_for):
    client = client_for(acme_data["owner"])

    assert "pending.person@acme.example" in _body(client.get("/staff/"))
    assert "Acme confidential deal" in _body(client.get("/audit/"))
    assert "acme-model-x" in _body(client.get("/settings/"))
