"""Registration on the public host, then approval by an owner on the tenant host, then signing in."""

import re

import pytest
from django.test import Client

from core.models import AuditEntry
from tenants.models import Membership, MembershipStatus, Role, User
from tenants.services import REGISTRATION_NOTICES_PER_HOUR
from tenants.tasks import registration_existing_notice_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSWORD = "Corr3ct-horse-battery"


def _form(tenant, **overrides):
    data = {
        "full_name": "Nora Newcomer",
        "email": "nora@example.org",
        "phone": "+34 600 000 000",
        "tenant": str(tenant.pk),
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def _public_client() -> Client:
    return Client(HTTP_HOST="localhost")


def test_registration_creates_the_user_and_a_pending_membership(acme, in_schema):
    response = _public_client().post("/register/", _form(acme))

    assert response.status_code == 200
    assert "tenants/register_done.html" in [template.name for template in response.templates]
    user = User.objects.get(email="nora@example.org")
    assert user.full_name == "Nora Newcomer"
    assert user.phone == "+34 600 000 000"
    assert user.check_password(PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.tenant, membership.status, membership.role) == (acme, MembershipStatus.PENDING, Role.SELLER)


def test_registration_is_audited_in_the_chosen_tenant_schema(acme, globex, in_schema):
    _public_client().post("/register/", _form(acme))

    membership = Membership.objects.get(user__email="nora@example.org")
    with in_schema(acme):
        entries = list(AuditEntry.objects.filter(action="membership.request"))
    with in_schema(globex):
        assert not AuditEntry.objects.filter(action="membership.request").exists()
    assert len(entries) == 1
    assert entries[0].object_id == str(membership.pk)
    assert entries[0].actor_id == membership.user_id
    assert entries[0].actor_label == "Nora Newcomer <nora@example.org>"
    assert entries[0].ip == "127.0.0.1"


def test_registration_lowercases_the_email(acme):
    _public_client().post("/register/", _form(acme, email="Nora@Example.ORG"))

    assert User.objects.filter(email="nora@example.org").count() == 1


def _without_tokens(body: str) -> str:
    """A page with its per-response CSRF tokens blanked out."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', body)


@pytest.fixture
def notices_run_now(monkeypatch, django_capture_on_commit_callbacks):
    """register(client, data): posts a registration and runs what it left for after commit, the notice task
    included (as a worker would) instead of sending it to the broker."""
    monkeypatch.setattr(
        registration_existing_notice_task, "delay", lambda *args: registration_existing_notice_task.apply(args=args)
    )

    def register(client, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/register/", data)

    return register


def test_an_existing_address_gets_the_same_answer_as_a_new_one(acme, globex, owner, in_schema, notices_run_now):
    # Finding 3 of issue 6: "an account with this email already exists" told anyone who has an account.
    users, memberships = User.objects.count(), Membership.objects.count()
    with in_schema(globex):
        audit_count = AuditEntry.objects.count()

    existing = notices_run_now(_public_client(), _form(globex, email=owner.user.email.upper()))
    new = notices_run_now(_public_client(), _form(globex, email="someone.new@example.org"))

    assert existing.status_code == new.status_code == 200
    assert existing.template_name == new.template_name == "tenants/register_done.html"
    assert _without_tokens(existing.content.decode()) == _without_tokens(new.content.decode())
    assert (User.objects.count(), Membership.objects.count()) == (users + 1, memberships + 1)
    assert not Membership.objects.filter(user=owner.user, tenant=globex).exists()
    with in_schema(globex):
        assert AuditEntry.objects.count() == audit_count + 1  # the new person's request only


def test_the_existing_accounts_owner_is_emailed_instead(acme, globex, owner, mailoutbox, notices_run_now):
    notices_run_now(_public_client(), _form(globex, email=owner.user.email.upper()))

    assert [message.to for message in mailoutbox] == [[owner.user.email]]
    assert mailoutbox[0].subject == "You already have an account"
    body = mailoutbox[0].body
    assert "to join Globex Test" in body
    assert "http://localhost:8000/login/" in body
    assert "http://localhost:8000/password-reset/" in body
    owner.user.refresh_from_db()
    assert owner.user.full_name != "Nora Newcomer"
    assert not owner.user.check_password(PASSWORD)


def test_the_existing_accounts_owner_gets_a_few_notices_an_hour_at_most(acme, owner, mailoutbox, notices_run_now):
    for number in range(REGISTRATION_NOTICES_PER_HOUR + 2):
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"203.0.113.{number + 1}")
        notices_run_now(client, _form(acme, email=owner.user.email))

    assert len(mailoutbox) == REGISTRATION_NOTICES_PER_HOUR


def test_a_look_alike_address_is_refused(acme):
    response = _public_client().post("/register/", _form(acme, email="ſomeone@example.org"))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert not User.objects.filter(email__iexact="someone@example.org").exists()


def test_password_mismatch_is_a_field_error_and_writes_nothing(acme):
    response = _public_client().post("/register/", _form(acme, password2="Another-pass-987"))

    assert response.status_code == 200
    assert response.context["form"].errors == {"password2": ["The two passwords differ."]}
    assert not User.objects.filter(email="nora@example.org").exists()


def test_weak_password_is_refused_with_the_validators_messages(acme):
    response = _public_client().post("/register/", _form(acme, password1="12345678", password2="12345678"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password1": ["This password is too common.", "This password is entirely numeric."]
    }
    assert not User.objects.filter(email="nora@example.org").exists()


def test_password_similar_to_the_email_is_refused(acme):
    response = _public_client().post(
        "/register/",
        _form(acme, email="zanzibar.quokka@example.org", password1="zanzibarquokka", password2="zanzibarquokka"),
    )

    assert response.context["form"].errors == {"password1": ["The password is too similar to the email address."]}
    assert not User.objects.filter(email="zanzibar.quokka@example.org").exists()


def test_an_unlisted_tenant_cannot_be_chosen(acme):
    acme.listed = False
    acme.save(update_fields=["listed"])

    response = _public_client().post("/register/", _form(acme))

    assert list(response.context["form"].errors) == ["tenant"]
    assert not User.objects.filter(email="nora@example.org").exists()


def test_the_public_tenant_cannot_be_chosen(acme):
    from tenants.models import Tenant

    public = Tenant.objects.get(schema_name="public")

    response = _public_client().post("/register/", _form(public))

    assert list(response.context["form"].errors) == ["tenant"]
    assert not User.objects.filter(email="nora@example.org").exists()


def test_the_registration_page_lists_only_listed_tenants(acme, globex):
    globex.listed = False
    globex.save(update_fields=["listed"])

    response = _public_client().get("/register/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Acme Test" in body
    assert "Globex Test" not in body
    assert "Public" not in body


def test_registered_user_cannot_open_the_tenant_before_approval(acme):
    _public_client().post("/register/", _form(acme))
    client = Client(HTTP_HOST="acme.localhost")

    assert client.post("/login/", {"email": "nora@example.org", "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 403


def test_registration_then_approval_then_sign_in_opens_the_dashboard(acme, owner, client_for, in_schema):
    _public_client().post("/register/", _form(acme))
    membership = Membership.objects.get(user__email="nora@example.org")

    approve = client_for(owner).post(f"/staff/{membership.pk}/approve/", {"role": Role.ACCOUNTANT})

    assert approve.status_code == 302
    assert approve["Location"] == "/staff/"
    membership.refresh_from_db()
    assert (membership.status, membership.role) == (MembershipStatus.ACTIVE, Role.ACCOUNTANT)
    assert membership.decided_by == owner.user
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="membership.approve")
    assert entry.actor_id == owner.user_id
    assert entry.object_id == str(membership.pk)
    assert entry.changes == {
        "status": {"before": "pending", "after": "active"},
        "role": {"before": "seller", "after": "accountant"},
    }

    newcomer = Client(HTTP_HOST="acme.localhost")
    login = newcomer.post("/login/", {"email": "nora@example.org", "password": PASSWORD})
    assert login.status_code == 302
    assert login["Location"] == "/"
    dashboard = newcomer.get("/")
    assert dashboard.status_code == 200
    assert "You are signed in to Acme Test as accountant." in dashboard.content.decode()
