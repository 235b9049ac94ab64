"""The credential vault: encrypted at rest, merged on update, never audited in clear, keys rotate."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from core.errors import ApplicationError
from core.models import AuditEntry
from tenants.models import Credential
from tenants.vault import mask, vault_delete, vault_get, vault_masked, vault_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SECRET = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWX-9876"
OTHER_SECRET = "whsec-0011223344556677889900"


def _all_audit_text(in_schema, tenant) -> str:
    with in_schema(tenant):
        return json.dumps(list(AuditEntry.objects.values("action", "object_repr", "changes")))


def test_values_are_stored_encrypted(acme, owner):
    credential = vault_set(
        tenant=acme, kind="openai", values={"api_key": SECRET, "model": "gpt-4o-mini"}, actor=owner.user
    )

    stored = Credential.objects.get(pk=credential.pk).ciphertext
    assert SECRET not in stored
    assert "gpt-4o-mini" not in stored
    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET, "model": "gpt-4o-mini"}


def test_vault_get_is_none_for_a_credential_never_set(acme):
    assert vault_get(tenant=acme, kind="odoo") is None


def test_each_tenant_reads_only_its_own_credential(acme, globex, owner, globex_owner):
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET}, actor=owner.user)
    vault_set(tenant=globex, kind="openai", values={"api_key": OTHER_SECRET}, actor=globex_owner.user)

    assert vault_get(tenant=acme, kind="openai")["api_key"] == SECRET
    assert vault_get(tenant=globex, kind="openai")["api_key"] == OTHER_SECRET


def test_empty_secret_fields_keep_the_stored_value(acme, owner):
    vault_set(
        tenant=acme,
        kind="whatsapp_cloud",
        values={"phone_number_id": "1234", "access_token": SECRET, "app_secret": OTHER_SECRET, "verify_token": "v-1"},
        actor=owner.user,
    )

    vault_set(
        tenant=acme,
        kind="whatsapp_cloud",
        values={"phone_number_id": "1234", "access_token": "", "app_secret": "new-app-secret", "verify_token": ""},
        actor=owner.user,
    )

    assert vault_get(tenant=acme, kind="whatsapp_cloud") == {
        "phone_number_id": "1234",
        "access_token": SECRET,
        "app_secret": "new-app-secret",
        "verify_token": "v-1",
    }


def test_a_cleared_non_secret_field_is_cleared(acme, owner):
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET, "model": "gpt-4o"}, actor=owner.user)

    vault_set(tenant=acme, kind="openai", values={"api_key": "", "model": ""}, actor=owner.user)

    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET, "model": ""}


def test_fields_the_credential_does_not_have_are_ignored(acme, owner):
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET, "password": "nope"}, actor=owner.user)

    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET}


def test_unknown_kind_is_refused(acme, owner):
    with pytest.raises(ApplicationError) as error:
        vault_set(tenant=acme, kind="myspace", values={"api_key": SECRET}, actor=owner.user)

    assert error.value.message == "Unknown credential type."
    assert not Credential.objects.filter(tenant=acme).exists()


def test_audit_names_the_changed_fields_but_never_the_values(acme, owner, in_schema):
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET, "model": "gpt-4o"}, actor=owner.user)
    vault_set(tenant=acme, kind="openai", values={"api_key": OTHER_SECRET, "model": "gpt-4o"}, actor=owner.user)

    with in_schema(acme):
        changes = list(
            AuditEntry.objects.filter(action="credential.set").order_by("id").values_list("changes", flat=True)
        )
    assert changes == [
        {"api_key": {"before": "•••", "after": "•••"}, "model": {"before": "•••", "after": "•••"}},
        {"api_key": {"before": "•••", "after": "•••"}},
    ]
    audit_text = _all_audit_text(in_schema, acme)
    assert SECRET not in audit_text
    assert OTHER_SECRET not in audit_text


def test_vault_writes_are_audited_in_the_tenant_schema_even_from_public(acme, globex, owner, in_schema):
    connection.set_schema_to_public()

    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET}, actor=owner.user)
    vault_delete(tenant=acme, kind="openai", actor=owner.user)

    with in_schema(acme):
        assert list(
            AuditEntry.objects.filter(action__startswith="credential.").order_by("id").values_list("action", flat=True)
        ) == [
            "credential.set",
            "credential.delete",
        ]
    with in_schema(globex):
        assert not AuditEntry.objects.filter(action__startswith="credential.").exists()
    assert not AuditEntry.objects.filter(action__startswith="credential.").exists()


def test_delete_removes_the_credential(acme, owner):
    vault_set(tenant=acme, kind="meta", values={"access_token": SECRET}, actor=owner.user)

    vault_delete(tenant=acme, kind="meta", actor=owner.user)

    assert vault_get(tenant=acme, kind="meta") is None


def test_deleting_a_credential_never_set_writes_nothing(acme, owner, in_schema):
    vault_delete(tenant=acme, kind="meta", actor=owner.user)

    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="credential.delete").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("short", "••••••••"),
        ("elevenchars", "••••••••"),
        ("twelve-chars", "••••••••hars"),
        (SECRET, "••••••••9876"),
    ],
)
def test_mask_shows_at_most_the_last_four_characters(value, expected):
    assert mask(value) == expected


def test_masked_values_hide_secrets_and_show_non_secrets(acme, owner):
    vault_set(tenant=acme, kind="odoo", values={"url": "https://odoo.example", "api_key": SECRET}, actor=owner.user)

    assert vault_masked(tenant=acme) == {
        "odoo": {
            "url": "https://odoo.example",
            "database": "",
            "username": "",
            "api_key": "••••••••9876",
            "protocol": "",
        }
    }


def test_rotation_moves_every_credential_to_the_new_key(acme, globex, owner, globex_owner, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.VAULT_KEYS = [old]
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET}, actor=owner.user)
    vault_set(tenant=globex, kind="odoo", values={"api_key": OTHER_SECRET}, actor=globex_owner.user)

    settings.VAULT_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_vault_keys", stdout=out)

    assert out.getvalue().strip() == "Re-encrypted 2 credential(s) under the newest key."

    settings.VAULT_KEYS = [new]
    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET}
    assert vault_get(tenant=globex, kind="odoo")["api_key"] == OTHER_SECRET
    for ciphertext in Credential.objects.values_list("ciphertext", flat=True):
        Fernet(new.encode()).decrypt(ciphertext.encode())


def test_without_rotation_the_old_key_cannot_be_dropped(acme, owner, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.VAULT_KEYS = [old]
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET}, actor=owner.user)

    settings.VAULT_KEYS = [new]

    with pytest.raises(ApplicationError) as error:
        vault_get(tenant=acme, kind="openai")

    assert error.value.message == "Stored credentials cannot be read with the configured keys."


def test_new_writes_use_the_first_key(acme, owner, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.VAULT_KEYS = [new, old]

    credential = vault_set(tenant=acme, kind="openai", values={"api_key": SECRET}, actor=owner.user)

    assert json.loads(Fernet(new.encode()).decrypt(credential.ciphertext.encode())) == {"api_key": SECRET}
