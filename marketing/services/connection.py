"""Connecting a company's Meta account: OAuth with a signed `state`, a manual system-user token, choosing
the ad accounts to follow, and disconnecting. The token goes to the vault only."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError, ClientError
from core.tenancy import check_tenant
from marketing.clients import get_meta_client, get_oauth_client
from marketing.clients.meta import GraphMetaClient
from marketing.models import AdAccount, MetaConnection
from tenants.models import Credential
from tenants.vault import vault_delete, vault_set

STATE_SALT = "marketing.meta.oauth"
STATE_MAX_AGE = 10 * 60
OAUTH_SCOPES = "ads_read,leads_retrieval,pages_show_list,pages_manage_metadata,business_management"


def oauth_state_make(*, tenant, user) -> str:
    """A `state` naming this company and this user, signed and timestamped (valid STATE_MAX_AGE seconds)."""
    return signing.dumps({"t": tenant.schema_name, "u": user.pk, "n": secrets.token_urlsafe(8)}, salt=STATE_SALT)


def oauth_state_read(state: str) -> dict:
    """The state's content if the signature holds and it has not expired, else ApplicationError."""
    try:
        return signing.loads(state or "", salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ApplicationError(_("The Meta sign-in took too long. Please start again.")) from error
    except signing.BadSignature as error:
        raise ApplicationError(_("The answer from Meta could not be verified. Please start again.")) from error


def oauth_state_check(*, state: str, tenant, user) -> None:
    content = oauth_state_read(state)
    if content.get("t") != tenant.schema_name or content.get("u") != user.pk:
        raise ApplicationError(_("This Meta sign-in was started by someone else or for another company."))


def oauth_dialog_url(*, state: str, redirect_uri: str) -> str:
    if not settings.META_APP_ID or not settings.META_APP_SECRET:
        raise ApplicationError(_("The platform's Meta app is not configured (META_APP_ID and META_APP_SECRET)."))
    query = urlencode(
        {"client_id": settings.META_APP_ID, "redirect_uri": redirect_uri, "state": state, "scope": OAUTH_SCOPES}
    )
    return f"{settings.META_DIALOG_URL.rstrip('/')}/{settings.META_API_VERSION}/dialog/oauth?{query}"


def _store(*, tenant, actor, token: str, expires_at, method: str, client) -> MetaConnection:
    try:
        user_name = client.me()
        accounts = client.ad_accounts()
    except ClientError as error:
        raise ApplicationError(_("Meta refused the token: %(reason)s") % {"reason": error.message}) from error
    with transaction.atomic():
        vault_set(tenant=tenant, kind=Credential.Kind.META, values={"access_token": token}, actor=actor)
        connection = MetaConnection.objects.select_for_update().first() or MetaConnection()
        connection.method = method
        connection.meta_user_name = user_name[:255]
        connection.token_expires_at = expires_at
        connection.revoked_at = None
        connection.connected_by = actor if getattr(actor, "is_authenticated", False) else None
        connection.sync_error = ""
        connection.backoff_until = None
        connection.backoff_step = 0
        connection.save()
        for account in accounts:
            AdAccount.objects.update_or_create(
                meta_id=account.meta_id, defaults={"name": account.name[:255], "currency": account.currency[:3]}
            )
        audit_log(action="marketing.connect", actor=actor, obj=connection, changes={"method": method})
    return connection


def connection_complete_oauth(*, tenant, actor, state: str, code: str, redirect_uri: str) -> MetaConnection:
    """Checks `state` (this company, this user, not expired), exchanges `code` for a long-lived token,
    stores it in the vault and lists the ad accounts it can read. Raises ApplicationError."""
    check_tenant(tenant)
    oauth_state_check(state=state, tenant=tenant, user=actor)
    if not code:
        raise ApplicationError(_("Meta did not grant access."))
    try:
        token = get_oauth_client().exchange_code(code=code, redirect_uri=redirect_uri)
    except ClientError as error:
        raise ApplicationError(_("Meta refused the sign-in: %(reason)s") % {"reason": error.message}) from error
    client = GraphMetaClient(access_token=token.access_token)
    return _store(
        tenant=tenant,
        actor=actor,
        token=token.access_token,
        expires_at=token.expires_at,
        method=MetaConnection.Method.OAUTH,
        client=client,
    )


def connection_set_manual_token(*, tenant, actor, token: str) -> MetaConnection:
    """A system user's token typed by an owner: checked against Meta, then stored (it does not expire)."""
    check_tenant(tenant)
    token = (token or "").strip()
    if not token:
        raise ApplicationError(_("Paste the system user's access token."))
    client = GraphMetaClient(access_token=token)
    return _store(
        tenant=tenant, actor=actor, token=token, expires_at=None, method=MetaConnection.Method.MANUAL, client=client
    )


def connection_sandbox(*, tenant, actor) -> MetaConnection:
    """The demo's sandbox account: fake data, no token, no network."""
    check_tenant(tenant)
    with transaction.atomic():
        MetaConnection.objects.all().delete()
        connection = MetaConnection.objects.create(method=MetaConnection.Method.SANDBOX)
    client = get_meta_client(tenant, connection=connection)
    with transaction.atomic():
        connection.meta_user_name = client.me()
        connection.save(update_fields=["meta_user_name", "updated_at"])
        for account in client.ad_accounts():
            AdAccount.objects.update_or_create(
                meta_id=account.meta_id, defaults={"name": account.name, "currency": account.currency}
            )
        audit_log(action="marketing.connect", actor=actor, obj=connection, changes={"method": "sandbox"})
    return connection


def accounts_select(*, tenant, actor, meta_ids: list[str]) -> list[AdAccount]:
    """Follows exactly these ad accounts (of those the token can read)."""
    check_tenant(tenant)
    with transaction.atomic():
        known = set(AdAccount.objects.values_list("meta_id", flat=True))
        chosen = [meta_id for meta_id in meta_ids if meta_id in known]
        AdAccount.objects.exclude(meta_id__in=chosen).update(selected=False)
        AdAccount.objects.filter(meta_id__in=chosen).update(selected=True)
        audit_log(action="marketing.accounts", actor=actor, changes={"accounts": {"after": sorted(chosen)}})
    return list(AdAccount.objects.filter(selected=True))


def connection_disconnect(*, tenant, actor) -> None:
    """Removes the token from the vault and the connection. Synced campaigns and figures stay (history)."""
    check_tenant(tenant)
    with transaction.atomic():
        vault_delete(tenant=tenant, kind=Credential.Kind.META, actor=actor)
        MetaConnection.objects.all().delete()
        AdAccount.objects.update(selected=False)
        audit_log(action="marketing.disconnect", actor=actor)


def connection_mark_revoked(*, connection: MetaConnection, reason: str) -> None:
    MetaConnection.objects.filter(pk=connection.pk).update(
        revoked_at=timezone.now(), sync_error=reason[:500], sync_error_at=timezone.now()
    )
