"""Connecting the company's WhatsApp: credentials in the vault, the number in the public registry that
routes webhooks to the company, and a test message."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from chats.clients.whatsapp import CLOUD, YCLOUD, Outbound, SendResult, get_whatsapp_client
from core.audit import audit_log
from core.errors import ApplicationError, ClientError
from tenants.models import Credential, WhatsAppNumber
from tenants.vault import vault_get, vault_set

REQUIRED = {
    CLOUD: (Credential.Kind.WHATSAPP_CLOUD, ("access_token", "app_secret", "verify_token")),
    YCLOUD: (Credential.Kind.YCLOUD, ("api_key", "webhook_secret")),
}


def _register(*, tenant, provider: str, phone_number_id: str, display_phone: str) -> WhatsAppNumber:
    taken = WhatsAppNumber.objects.filter(provider=provider, phone_number_id=phone_number_id).exclude(tenant=tenant)
    if taken.exists():
        raise ApplicationError(_("This number is already connected to another company."))
    WhatsAppNumber.objects.filter(tenant=tenant, provider=provider).exclude(phone_number_id=phone_number_id).delete()
    number, _created = WhatsAppNumber.objects.update_or_create(
        provider=provider, phone_number_id=phone_number_id, defaults={"tenant": tenant, "display_phone": display_phone}
    )
    return number


@transaction.atomic
def whatsapp_connect(*, tenant, provider: str, values: dict, display_phone: str, actor) -> WhatsAppNumber:
    """Stores the provider's credentials (empty secrets keep the stored ones) and registers the number.
    Raises ApplicationError when a secret is missing or the number belongs to another company."""
    from chats.webhooks.intake import routes_clear

    kind, secrets = REQUIRED[provider]
    stored = vault_get(tenant=tenant, kind=kind) or {}
    missing = [name for name in secrets if not (values.get(name) or stored.get(name))]
    if missing:
        raise ApplicationError(_("Fill in every secret the first time: %(fields)s.") % {"fields": ", ".join(missing)})
    number_id = values["phone_number_id"] if provider == CLOUD else values["phone_number"]
    number = _register(tenant=tenant, provider=provider, phone_number_id=number_id, display_phone=display_phone)
    vault_set(tenant=tenant, kind=kind, values=values, actor=actor)
    audit_log(action="chats.settings", actor=actor, obj=number, changes={"provider": {"before": "", "after": provider}})
    transaction.on_commit(routes_clear)
    return number


@transaction.atomic
def whatsapp_disconnect(*, tenant, provider: str, actor) -> None:
    from chats.webhooks.intake import routes_clear

    numbers = WhatsAppNumber.objects.filter(tenant=tenant, provider=provider)
    for number in numbers:
        audit_log(
            action="chats.settings", actor=actor, obj=number, changes={"provider": {"before": provider, "after": ""}}
        )
    numbers.delete()
    transaction.on_commit(routes_clear)


def whatsapp_send_test(*, tenant, provider: str, phone: str, actor) -> SendResult:
    """Sends Meta's `hello_world` template (any number may receive it, window or not; the sandbox gets a
    text) to `phone`, straight through the provider. Raises ApplicationError with the provider's words."""
    from crm.public import lead_phone

    number = WhatsAppNumber.objects.filter(tenant=tenant, provider=provider).first()
    if number is None:
        raise ApplicationError(_("Connect a number first."))
    to = lead_phone(tenant=tenant, phone=phone)
    if provider == "sandbox":
        outbound = Outbound(to=to, kind="text", text=_("Test message from %(company)s.") % {"company": tenant.name})
    else:
        outbound = Outbound(to=to, kind="template", template_name="hello_world", template_language="en_US")
    try:
        client = get_whatsapp_client(tenant, provider=provider, phone_number_id=number.phone_number_id)
        result = client.send(outbound, idempotency_key=uuid.uuid4().hex)
    except ClientError as error:
        raise ApplicationError(
            _("WhatsApp refused the test message: %(reason)s") % {"reason": error.message}
        ) from error
    audit_log(action="chats.test_message", actor=actor, obj=number)
    return result
