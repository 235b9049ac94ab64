"""Webhook intake, on the bare domain (public schema): check the signature, store the raw delivery once,
answer at once; the worker does the rest inside the company's schema (chats.tasks.webhook_event_task).

The company is found from the receiving number (tenants.WhatsAppNumber), whose credentials hold the
signing secret: Cloud API `X-Hub-Signature-256: sha256=hex(HMAC(app secret, body))`; YCloud
`YCloud-Signature: t=<unix>,s=hex(HMAC(webhook secret, "<t>.<body>"))` with `t` at most five minutes
old; the development sandbox signs like the Cloud API with a secret derived from SECRET_KEY. A body that
names no known number, or whose signature does not match, is refused (403) and nothing is stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from chats.webhooks.parsing import CLOUD, YCLOUD, PayloadError, parse_cloud, parse_ycloud, ycloud_number

SANDBOX = "sandbox"
YCLOUD_TOLERANCE = 300
# Numbers and their secrets are read at most this often per process (a changed secret applies after it).
SECRET_TTL = 30.0


@dataclass(frozen=True)
class Route:
    tenant: object
    provider: str
    phone_number_id: str
    secret: str


_routes: dict[tuple[str, str], tuple[float, Route | None]] = {}


class RouteNotCached(LookupError):
    """Asked with `cached_only`: the number's route is not in this process's cache (a database read is
    needed, so the caller does it off its event loop)."""


def routes_clear() -> None:
    _routes.clear()


def sandbox_secret(phone_number_id: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"chats-sandbox:{phone_number_id}".encode(), hashlib.sha256
    ).hexdigest()


def _secret_for(number) -> str:
    from tenants.models import Credential
    from tenants.vault import vault_get

    if number.provider == SANDBOX:
        return sandbox_secret(number.phone_number_id)
    if number.provider == CLOUD:
        return (vault_get(tenant=number.tenant, kind=Credential.Kind.WHATSAPP_CLOUD) or {}).get("app_secret", "")
    if number.provider == YCLOUD:
        return (vault_get(tenant=number.tenant, kind=Credential.Kind.YCLOUD) or {}).get("webhook_secret", "")
    return ""


def route_for(providers: tuple[str, ...], candidates: list[str], *, cached_only: bool = False) -> Route | None:
    """The company number among `candidates` (ids as the provider sends them) and its signing secret.
    With `cached_only`, raises RouteNotCached instead of reading the database."""
    from tenants.models import WhatsAppNumber

    candidates = [c for c in dict.fromkeys(candidates) if c]
    if not candidates:
        return None
    key = ("|".join(providers), "|".join(candidates))
    now = time.monotonic()
    cached = _routes.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    if cached_only:
        raise RouteNotCached(key)
    number = (
        WhatsAppNumber.objects.select_related("tenant")
        .filter(provider__in=providers, phone_number_id__in=candidates)
        .order_by("pk")
        .first()
    )
    route = None
    if number is not None:
        secret = _secret_for(number)
        if secret:
            route = Route(
                tenant=number.tenant, provider=number.provider, phone_number_id=number.phone_number_id, secret=secret
            )
    if len(_routes) > 10_000:
        _routes.clear()
    _routes[key] = (now + SECRET_TTL, route)
    return route


def cloud_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def ycloud_signature(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"


def verify_cloud(body: bytes, header: str, secret: str) -> bool:
    return bool(header and secret) and hmac.compare_digest(cloud_signature(body, secret), header.strip())


def verify_ycloud(body: bytes, header: str, secret: str, now: float | None = None) -> bool:
    if not header or not secret:
        return False
    parts = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    stamp, signature = parts.get("t", ""), parts.get("s", "")
    if not stamp.isdigit() or not signature:
        return False
    if abs((now or time.time()) - int(stamp)) > YCLOUD_TOLERANCE:
        return False
    expected = ycloud_signature(body, secret, int(stamp)).split("s=", 1)[1]
    return hmac.compare_digest(expected, signature)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


@dataclass(frozen=True)
class Outcome:
    status: int
    event_id: int | None = None
    duplicate: bool = False
    # Set when the caller said it enqueues the processing itself (after answering): the company to send
    # it in. None: nothing to enqueue (refused, a redelivery, or kept with an error).
    tenant: object | None = None
    # The delivery's kind (parsing: "text", "status:read", "whatsapp.message.updated"...): only statuses
    # wait in the slower queue.
    kind: str = ""


@dataclass(frozen=True)
class Checked:
    """A delivery whose signature matched, ready to store."""

    route: Route
    provider: str
    dedupe_key: str
    kind: str
    body: bytes
    error: str


INSERT = (
    "INSERT INTO public.webhooks_webhookevent "
    "(provider, dedupe_key, tenant_id, phone_number_id, kind, body, status, error, attempts, received_at) "
    "VALUES {values} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
)


def store_many(items: list[Checked]) -> list[Outcome]:
    """Stores checked deliveries in one transaction (one commit, so one disk flush, for the lot) with
    INSERT ... ON CONFLICT DO NOTHING: one row per delivery key, even for concurrent redeliveries; a key
    already stored, or repeated in `items`, is a duplicate. Each outcome carries the company to send the
    processing task in (None when there is nothing to process)."""
    from webhooks.models import WebhookEvent

    if not items:
        return []
    firsts: dict[str, Checked] = {}
    for item in items:
        firsts.setdefault(item.dedupe_key, item)
    params: list = []
    for item in firsts.values():
        status = WebhookEvent.Status.FAILED if item.error else WebhookEvent.Status.RECEIVED
        params += [
            item.provider, item.dedupe_key, item.route.tenant.pk, item.route.phone_number_id, item.kind[:64],
            item.body, status, item.error,
        ]  # fmt: skip
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, 0, now())"] * len(firsts))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT.format(values=values), params)
        inserted = {key: pk for pk, key in cursor.fetchall()}
    outcomes = []
    for item in items:
        pk = inserted.pop(item.dedupe_key, None)
        if pk is None:
            outcomes.append(Outcome(status=200, duplicate=True))
        else:
            tenant = None if item.error else item.route.tenant
            outcomes.append(Outcome(status=200, event_id=pk, tenant=tenant, kind=item.kind))
    return outcomes


def _store(item: Checked, *, defer: bool) -> Outcome:
    with transaction.atomic():
        outcome = store_many([item])[0]
        if outcome.tenant is not None and not defer:
            tenant, event_id = outcome.tenant, outcome.event_id
            transaction.on_commit(lambda: enqueue(tenant=tenant, event_id=event_id))
            return Outcome(status=200, event_id=event_id)
    return outcome


def enqueue(*, tenant, event_id: int, replay: bool = False) -> None:
    from chats.tasks import webhook_event_task

    with tenant_context(tenant):
        webhook_event_task.delay(event_id, replay)


# A committed batch's deliveries travel to the worker in messages of at most this many (fewer messages
# to send and take; small enough that the worker's processes share a burst).
TASK_BATCH = 8


def only_statuses(kind: str) -> bool:
    """A delivery that carries statuses and no message (Cloud API `status:<value>` kinds, YCloud's
    message updates): it moves ticks, and waits behind deliveries with messages in them."""
    parts = kind.split("+")
    return all(part.startswith("status:") for part in parts) or kind == "whatsapp.message.updated"


def enqueue_many(outcomes: list[Outcome]) -> int:
    """Sends the processing of stored deliveries (outcomes naming a company) to the worker: per company,
    the deliveries with messages and those with only statuses apart (statuses go to the low queue,
    chats.tasks.webhook_events_task), in messages of at most TASK_BATCH. Returns the messages sent."""
    from chats.tasks import webhook_events_task
    from config.celery import status_queue

    groups: dict[tuple[int, bool], tuple[object, list[int]]] = {}
    for outcome in outcomes:
        if outcome.tenant is None or outcome.event_id is None:
            continue
        key = (outcome.tenant.pk, only_statuses(outcome.kind))
        groups.setdefault(key, (outcome.tenant, []))[1].append(outcome.event_id)
    sent = 0
    for (_tenant_id, statuses), (tenant, ids) in groups.items():
        default = settings.CELERY_TASK_DEFAULT_QUEUE
        queue = status_queue(default) if statuses else default
        with tenant_context(tenant):
            for start in range(0, len(ids), TASK_BATCH):
                webhook_events_task.apply_async((ids[start : start + TASK_BATCH],), queue=queue)
                sent += 1
    return sent


def check_cloud(body: bytes, signature: str, *, cached_only: bool = False) -> Checked | Outcome:
    """A Cloud API (or sandbox) delivery signed by the receiving number's company, or a 403 outcome.
    With `cached_only`, raises RouteNotCached rather than read the number from the database."""
    try:
        data = json.loads(body)
        entries = data.get("entry") or []
        number_ids = [
            str(((change.get("value") or {}).get("metadata") or {}).get("phone_number_id") or "")
            for entry in entries
            for change in (entry.get("changes") or [])
        ]
    except (ValueError, AttributeError, TypeError, UnicodeDecodeError):
        return Outcome(status=403)
    route = route_for((CLOUD, SANDBOX), number_ids, cached_only=cached_only)
    if route is None or not verify_cloud(body, signature, route.secret):
        return Outcome(status=403)
    try:
        delivery = parse_cloud(body)
        key, kind, error = delivery.dedupe_key, delivery.kind, ""
    except PayloadError as exc:
        key, kind, error = f"cloud:{hashlib.sha256(body).hexdigest()}", "unreadable", f"unreadable payload: {exc}"
    return Checked(route=route, provider=route.provider, dedupe_key=key, kind=kind, body=body, error=error)


def check_ycloud(body: bytes, signature: str, *, cached_only: bool = False) -> Checked | Outcome:
    try:
        data = json.loads(body)
        number = ycloud_number(data) if isinstance(data, dict) else ""
    except (ValueError, UnicodeDecodeError):
        return Outcome(status=403)
    route = route_for((YCLOUD,), [number, "+" + _digits(number), _digits(number)], cached_only=cached_only)
    if route is None or not verify_ycloud(body, signature, route.secret):
        return Outcome(status=403)
    try:
        delivery = parse_ycloud(body)
        key, kind, error = delivery.dedupe_key, delivery.kind, ""
    except PayloadError as exc:
        key, kind, error = f"ycloud:{hashlib.sha256(body).hexdigest()}", "unreadable", f"unreadable payload: {exc}"
    return Checked(route=route, provider=YCLOUD, dedupe_key=key, kind=kind, body=body, error=error)


def accept_cloud(body: bytes, signature: str, *, defer: bool = False) -> Outcome:
    """Checks and stores one Cloud API (or sandbox) delivery. Without `defer`, its processing task is sent
    when the transaction commits; with it, the caller sends it (the outcome names the company)."""
    checked = check_cloud(body, signature)
    return checked if isinstance(checked, Outcome) else _store(checked, defer=defer)


def accept_ycloud(body: bytes, signature: str, *, defer: bool = False) -> Outcome:
    checked = check_ycloud(body, signature)
    return checked if isinstance(checked, Outcome) else _store(checked, defer=defer)


def verify_token_matches(token: str) -> bool:
    """The GET handshake: `hub.verify_token` is one of the connected companies' verify tokens."""
    from tenants.models import Credential, WhatsAppNumber
    from tenants.vault import vault_get

    if not token:
        return False
    tenants = {n.tenant_id: n.tenant for n in WhatsAppNumber.objects.select_related("tenant").filter(provider=CLOUD)}
    for tenant in tenants.values():
        expected = (vault_get(tenant=tenant, kind=Credential.Kind.WHATSAPP_CLOUD) or {}).get("verify_token", "")
        if expected and hmac.compare_digest(expected.encode(), token.encode()):
            return True
    return False
