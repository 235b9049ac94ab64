"""The credential vault: per-tenant secrets encrypted with MultiFernet.

Keys come from settings.VAULT_KEYS (newest first). Encrypting uses the first key; decrypting tries
all, so a new key is added in front and `manage.py rotate_vault_keys` re-encrypts under it before
the old key is removed. Services read secrets only through `vault_get`."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django_tenants.utils import schema_context

from core.audit import audit_log
from core.errors import ApplicationError
from tenants.models import Credential, Tenant


@dataclass(frozen=True)
class SecretField:
    name: str
    label: str
    secret: bool = True
    # For a non-secret field with a fixed set of values: (value, label) pairs, the first the default.
    choices: tuple = ()


# What each external system needs. Non-secret fields (ids, URLs) are shown back in full.
CREDENTIAL_FIELDS: dict[str, list[SecretField]] = {
    Credential.Kind.OPENAI: [SecretField("api_key", _("API key")), SecretField("model", _("Model"), secret=False)],
    Credential.Kind.WHATSAPP_CLOUD: [
        SecretField("phone_number_id", _("Phone number id"), secret=False),
        SecretField("business_account_id", _("Business account id"), secret=False),
        SecretField("access_token", _("Access token")),
        SecretField("app_secret", _("App secret")),
        SecretField("verify_token", _("Webhook verify token")),
    ],
    Credential.Kind.YCLOUD: [
        SecretField("phone_number", _("WhatsApp number"), secret=False),
        SecretField("api_key", _("API key")),
        SecretField("webhook_secret", _("Webhook signing secret")),
    ],
    # Either a service account (its JSON key) or an OAuth client with a refresh token (agenda's client).
    Credential.Kind.GOOGLE: [
        SecretField("calendar_id", _("Calendar id"), secret=False),
        SecretField("service_account_json", _("Service account JSON")),
        SecretField("client_id", _("OAuth client id"), secret=False),
        SecretField("client_secret", _("OAuth client secret")),
        SecretField("refresh_token", _("OAuth refresh token")),
    ],
    Credential.Kind.META: [
        SecretField("ad_account_id", _("Ad account id"), secret=False),
        SecretField("access_token", _("Access token")),
        SecretField("app_secret", _("App secret")),
    ],
    Credential.Kind.ODOO: [
        SecretField("url", _("Server URL"), secret=False),
        SecretField("database", _("Database"), secret=False),
        SecretField("username", _("User"), secret=False),
        SecretField("api_key", _("API key or password")),
        SecretField(
            "protocol",
            _("Protocol"),
            secret=False,
            choices=(
                ("xmlrpc", _("XML-RPC (Odoo 14 to 18)")),
                ("jsonrpc", _("JSON-RPC through odoorpc (Odoo 14 to 18)")),
                ("json2", _("JSON-2 API with a bearer API key (Odoo 19 and later)")),
            ),
        ),
    ],
}


def _keys() -> list[bytes]:
    configured = [key.strip() for key in settings.VAULT_KEYS if key.strip()]
    if configured:
        return [key.encode() for key in configured]
    # Development default: derived from SECRET_KEY so a fresh clone works. Production requires VAULT_KEYS.
    digest = hashlib.sha256(f"vault:{settings.SECRET_KEY}".encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


@sensitive_variables()
def encrypt(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


@sensitive_variables()
def decrypt(ciphertext: str) -> dict[str, str]:
    try:
        return json.loads(_fernet().decrypt(ciphertext.encode()))
    except InvalidToken as exc:
        raise ApplicationError(str(_("Stored credentials cannot be read with the configured keys."))) from exc


def mask(value: str) -> str:
    """Shows at most the last four characters of a secret, and none of a short one."""
    if not value:
        return ""
    if len(value) < 12:
        return "•" * 8
    return "•" * 8 + value[-4:]


@sensitive_variables()
def vault_get(*, tenant: Tenant, kind: str) -> dict[str, str] | None:
    """The decrypted values of one credential, or None when the tenant has not set it."""
    credential = Credential.objects.filter(tenant=tenant, kind=kind).first()
    return decrypt(credential.ciphertext) if credential else None


@sensitive_variables()
def vault_masked(*, tenant: Tenant) -> dict[str, dict[str, str]]:
    """For display: every configured credential with secret fields masked."""
    result: dict[str, dict[str, str]] = {}
    for credential in Credential.objects.filter(tenant=tenant):
        values = decrypt(credential.ciphertext)
        fields = CREDENTIAL_FIELDS.get(credential.kind, [])
        result[credential.kind] = {
            field.name: (mask(values.get(field.name, "")) if field.secret else values.get(field.name, ""))
            for field in fields
        }
    return result


@sensitive_variables()
@transaction.atomic
def vault_set(*, tenant: Tenant, kind: str, values: dict[str, str], actor) -> Credential:
    """Stores (or updates) one credential. Empty secret fields keep their stored value, so an owner can
    change one field without retyping the others; non-secret fields (shown back in the form) take
    what was sent, empty included. Audited in the tenant's schema with field names only, never values."""
    if kind not in CREDENTIAL_FIELDS:
        raise ApplicationError(str(_("Unknown credential type.")))
    secret = {field.name: field.secret for field in CREDENTIAL_FIELDS[kind]}
    credential = Credential.objects.select_for_update().filter(tenant=tenant, kind=kind).first()
    current = decrypt(credential.ciphertext) if credential else {}
    merged = dict(current)
    changed = []
    for name, value in values.items():
        if name not in secret:
            continue
        value = (value or "").strip()
        if not value and secret[name]:
            merged.setdefault(name, "")
        elif value != current.get(name, ""):
            merged[name] = value
            changed.append(name)
        else:
            merged[name] = value
    if credential is None:
        credential = Credential(tenant=tenant, kind=kind)
    credential.ciphertext = encrypt(merged)
    credential.updated_by = actor
    credential.save()
    with schema_context(tenant.schema_name):
        audit_log(
            action="credential.set",
            actor=actor,
            obj=credential,
            changes={name: {"before": "•••", "after": "•••"} for name in sorted(changed)},
        )
    return credential


@transaction.atomic
def vault_delete(*, tenant: Tenant, kind: str, actor) -> None:
    credential = Credential.objects.filter(tenant=tenant, kind=kind).first()
    if credential is None:
        return
    with schema_context(tenant.schema_name):
        audit_log(action="credential.delete", actor=actor, obj=credential)
    credential.delete()


def vault_rotate() -> int:
    """Re-encrypts every credential under the first configured key. Returns how many were rewritten."""
    fernet = _fernet()
    count = 0
    with transaction.atomic():
        for credential in Credential.objects.select_for_update():
            credential.ciphertext = fernet.rotate(credential.ciphertext.encode()).decode()
            credential.save(update_fields=["ciphertext", "updated_at"])
            count += 1
    return count
