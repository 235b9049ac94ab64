"""Measures the WhatsApp webhook: accepted deliveries per second and their latency, and the time from an
inbound delivery to its message reaching an open inbox socket (the AI agent off).

    python manage.py bench_webhooks --deliveries 3000 --concurrency 32 --samples 40 [--server uvicorn]
                                    [--rate 500] [--web-processes 2] [--worker-nice 10] [--url http://127.0.0.1:8000]

Creates a throwaway company `bench-<random>` with a sandbox number (webhooks signed like the Cloud API)
and messages it sent (for the statuses to report on), starts the webhook server on free loopback ports
(unless --url names a running one) and a Celery worker on queues of its own, then:
1. POSTs `--deliveries` signed deliveries (half texts, a quarter voice notes, a quarter statuses) from
   `--concurrency` keep-alive connections and reports accepted deliveries/s and p50/p95/p99/max latency:
   closed loop by default (each connection sends its next delivery as soon as the previous is answered, so
   the server's pace sets the load and queueing inflates the tail), or open loop with `--rate R` (delivery
   n is due at start + n/R and goes out on the first free connection; its latency counts from when it was
   due, so a stall is not hidden by sending less; `open_loop` adds the service time from the actual send
   and how late the generator sent);
2. waits until the worker has processed them all (deliveries processed/s);
3. opens the inbox websocket as the company's owner and sends `--samples` texts one after the other,
   timing each from the POST to its bubble arriving on the socket (p50/p95).
`--server uvicorn` (the default) serves the webhooks from uvicorn (httptools, uvloop) and the inbox socket
from one daphne, as compose.yaml deploys them; `--server daphne` serves everything from daphne.
`--web-processes N` starts N webhook servers on their own ports and spreads the connections over them,
as a balancer in front of N processes would. Reports JSON on stdout. Drops the company unless --keep."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uvloop
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from chats.models import Conversation, Message
from chats.simulator import inbound_body
from chats.webhooks.intake import cloud_signature, sandbox_secret
from crm.management.commands.bench_crm import drop_bench_tenant
from tenants.models import Domain, Tenant, User, WhatsAppNumber
from tenants.services import tenant_create
from webhooks.models import WebhookEvent

ROOT = Path(settings.BASE_DIR)
START_TIMEOUT = 60


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_body(number_id: str, wamid: str, status: str) -> bytes:
    from chats.clients.sandbox import status_body

    return status_body(phone_number_id=number_id, wamid=wamid, status=status, recipient="34600000000")


def _voice_body(number_id: str, phone: str) -> bytes:
    body = json.loads(inbound_body(phone_number_id=number_id, phone=phone, name="Bench Lead", text="x"))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="audio", audio={"id": uuid.uuid4().hex, "mime_type": "audio/ogg; codecs=opus", "voice": True})
    return json.dumps(body).encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


def _request(body: bytes, secret: str, host: str) -> bytes:
    head = (
        f"POST /webhooks/whatsapp/cloud/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {cloud_signature(body, secret)}\r\n\r\n"
    )
    return head.encode() + body


async def _load(ports: list[int], host: str, bodies: list[bytes], secret: str, concurrency: int):
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(_request(body, secret, host))

    async def connection_loop(port: int):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                try:
                    request = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                writer.write(request)
                await writer.drain()
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection_loop(ports[n % len(ports)]) for n in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def send_offsets(count: int, rate: float) -> list[float]:
    """Open loop: the second, after the start, at which each of `count` deliveries is due, evenly spaced at
    `rate` per second whatever the server answers (0, 1/rate, 2/rate...)."""
    if rate <= 0:
        raise ValueError("the rate must be positive")
    return [n / rate for n in range(count)]


def open_loop_timings(due: float, sent: float, answered: float) -> tuple[float, float, float]:
    """(latency, service time, send lag) of one delivery. The latency counts from when it was due, not
    from when it could be sent: a delivery that waited for a free connection (the server being slow to
    answer the previous ones) has that wait in its latency, so a stall shows in the tail instead of
    being hidden by sending less (coordinated omission). The service time counts from the actual send."""
    return answered - due, answered - sent, max(0.0, sent - due)


def latency_summary(values: list[float]) -> dict:
    return {
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": percentile(values, 1),
    }


class _Connection(asyncio.Protocol):
    """One keep-alive connection of the open-loop generator, as a bare protocol (no stream reader and no
    coroutine per request: on this machine the generator shares the two cores with what it measures, and
    every microsecond it spends is taken from the server). One request in flight at a time."""

    def __init__(self, done):
        self.done = done  # done(connection, status) when an answer is complete
        self.transport = None
        self.buffer = b""
        self.busy = None  # (index, due, sent, request) of the request in flight
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def send(self, index: int, due: float, sent: float, request: bytes) -> None:
        self.busy = (index, due, sent, request)
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        length = 0
        at = head.find(b"content-length:")
        if at >= 0:
            length = int(head[at + 15 :].split(b"\r\n", 1)[0])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        self.buffer = self.buffer[end + 4 + length :]
        self.done(self, status)

    def connection_lost(self, exc) -> None:
        if not self.lost.done():
            self.lost.set_result(self.busy)


async def _load_open(ports: list[int], host: str, bodies: list[bytes], secret: str, concurrency: int, rate: float):
    """Sends delivery n at start + n / rate on whichever of the `concurrency` keep-alive connections is free
    (HTTP/1.1 without pipelining: one request in flight per connection), and times each from when it was
    due. Returns the elapsed time to the last answer, the latencies, service times, send lags and the
    answers' statuses."""
    offsets = send_offsets(len(bodies), rate)
    requests = [_request(body, secret, host) for body in bodies]
    latencies: list[float] = []
    services: list[float] = []
    lags: list[float] = []
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    idle: list[_Connection] = []
    waiting: list[asyncio.Future] = []
    finished = loop.create_future()
    answered = 0

    def done(connection: _Connection, status: int) -> None:
        nonlocal answered
        _index, due, sent, _request_bytes = connection.busy
        connection.busy = None
        latency, service, lag = open_loop_timings(due, sent, loop.time())
        latencies.append(latency)
        services.append(service)
        lags.append(lag)
        statuses[status] = statuses.get(status, 0) + 1
        answered += 1
        if answered == len(requests) and not finished.done():
            finished.set_result(None)
        if waiting:
            waiting.pop(0).set_result(connection)
        else:
            idle.append(connection)

    tasks: set[asyncio.Task] = set()
    closing = False

    async def connect(port: int) -> _Connection:
        _transport, connection = await loop.create_connection(lambda: _Connection(done), "127.0.0.1", port)
        connection.lost.add_done_callback(lambda lost: reconnect(port, connection, lost.result()))
        return connection

    def reconnect(port: int, gone: _Connection, in_flight) -> None:
        # A connection the server closed (its keep-alive time passed while it idled): a new one takes its
        # place, and a request that was in flight on it is sent again (the reconnection is in its latency).
        if closing:
            return
        if gone in idle:
            idle.remove(gone)

        async def again():
            connection = await connect(port)
            if in_flight is not None:
                index, due, sent, request = in_flight
                connection.send(index, due, sent, request)
            elif waiting:
                waiting.pop(0).set_result(connection)
            else:
                idle.append(connection)

        task = loop.create_task(again())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    opened = [await connect(ports[n % len(ports)]) for n in range(concurrency)]
    idle.extend(opened)
    start = loop.time() + 0.05
    for index, request in enumerate(requests):
        due = start + offsets[index]
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if idle:
            connection = idle.pop()
        else:
            future = loop.create_future()
            waiting.append(future)
            connection = await future
        connection.send(index, due, loop.time(), request)
    await finished
    elapsed = loop.time() - start
    closing = True
    for connection in {*opened, *idle}:
        connection.transport.close()
    return elapsed, latencies, services, lags, statuses


async def _ws_open(port: int, host: str, cookie: str):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/chats/ HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n"
            f"Cookie: {cookie}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise CommandError(f"the inbox socket was refused: {head[:200]!r}")
    return reader, writer


async def _ws_text(reader: asyncio.StreamReader, writer) -> str:
    while True:
        first, second = await reader.readexactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(length)
        if opcode == 0x8:
            raise CommandError("the inbox socket closed")
        if opcode == 0x9:  # ping: answer with a masked pong
            mask = os.urandom(4)
            writer.write(
                bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            )
            continue
        if opcode in (0x1, 0x0):
            return payload.decode("utf-8", errors="replace")


async def _inbox_latency(
    port: int, socket_port: int, host: str, tenant_host: str, cookie: str, number_id: str, secret: str, samples: int
):
    reader, writer = await _ws_open(socket_port, tenant_host, cookie)
    timings: list[float] = []
    answers: list[float] = []
    missed = 0
    http_reader, http_writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.sleep(0.5)
        last_answer = time.perf_counter()
        for n in range(samples):
            marker = f"bench-latency-{uuid.uuid4().hex}"
            body = inbound_body(phone_number_id=number_id, phone=f"+346{70000000 + n}", name="Bench Lead", text=marker)
            if time.perf_counter() - last_answer > 4:  # the server may have closed an idle keep-alive
                http_writer.close()
                http_reader, http_writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            http_writer.write(_request(body, secret, host))
            await http_writer.drain()
            await _read_response(http_reader)
            last_answer = time.perf_counter()
            answers.append(last_answer - started)
            deadline = started + 10
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    missed += 1
                    break
                try:
                    text = await asyncio.wait_for(_ws_text(reader, writer), timeout=remaining)
                except TimeoutError:
                    missed += 1
                    break
                if marker in text:
                    timings.append(time.perf_counter() - started)
                    break
            await asyncio.sleep(0.05)
    finally:
        writer.close()
        http_writer.close()
    return timings, answers, missed


class Command(BaseCommand):
    help = (
        "Posts signed WhatsApp deliveries to the webhook and reports deliveries/s, latency and inbound-to-inbox time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--deliveries", type=int, default=3000)
        parser.add_argument("--concurrency", type=int, default=32)
        parser.add_argument(
            "--rate",
            type=float,
            default=0,
            help="Open loop: send the deliveries at this fixed rate per second, spread over the connections, "
            "and time each from when it was due (default: closed loop, each connection as fast as it can).",
        )
        parser.add_argument("--samples", type=int, default=40, help="Inbound-to-inbox timings.")
        parser.add_argument(
            "--url", default="", help="A running server (http://127.0.0.1:8000); default: start one (--server)."
        )
        parser.add_argument("--worker-concurrency", type=int, default=2)
        parser.add_argument(
            "--worker-nice",
            type=int,
            default=0,
            help="Start the worker at this lower CPU priority (nice), so a burst is answered first and "
            "processed after (compose: the worker's cpu_shares).",
        )
        parser.add_argument(
            "--server",
            choices=["daphne", "uvicorn"],
            default="uvicorn",
            help="What serves the webhook POSTs: daphne (which also serves pages and sockets), or uvicorn "
            "(httptools, uvloop) beside one daphne that serves the inbox socket, as compose.yaml deploys them.",
        )
        parser.add_argument(
            "--web-processes",
            type=int,
            default=1,
            help="Webhook server processes (each on its own port, as behind a balancer).",
        )
        parser.add_argument(
            "--worker-after-load",
            action="store_true",
            help="Start the worker once the load is over: the webhook server alone on the cores, as when the "
            "worker runs on other machines or cores (the deliveries wait in the broker meanwhile).",
        )
        parser.add_argument("--debug", action="store_true", help="Run the started server with DEBUG on.")
        parser.add_argument("--drain-timeout", type=float, default=300.0)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, **options):
        if options["deliveries"] < 1 or options["concurrency"] < 1:
            raise CommandError("--deliveries and --concurrency must be positive.")
        if options["rate"] < 0:
            raise CommandError("--rate must be positive (0: closed loop).")
        connection.set_schema_to_public()
        public, _ = Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Public", "slug": "public"})
        Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True})
        slug = f"bench-{secrets.token_hex(4)}"
        with contextlib.redirect_stdout(sys.stderr):
            tenant = tenant_create(
                name=f"Bench {slug}", slug=slug, owner_email=f"owner@{slug}.bench", owner_name="Bench Owner"
            )
        Tenant.objects.filter(pk=tenant.pk).update(ai_enabled=False)
        owner = User.objects.get(email=f"owner@{slug}.bench")
        number_id = f"sandbox-{slug}"
        WhatsAppNumber.objects.create(
            tenant=tenant, provider="sandbox", phone_number_id=number_id, display_phone="+1 555 0199 00"
        )
        queue = f"bench-webhooks-{slug}"
        env = dict(os.environ, CELERY_TASK_DEFAULT_QUEUE=queue, PYTHONUNBUFFERED="1")
        if not options["debug"]:
            env["DJANGO_DEBUG"] = "false"
        processes: list[subprocess.Popen] = []
        socket_port = 0
        try:
            if options["url"]:
                ports = [int(options["url"].rsplit(":", 1)[1].strip("/"))]
                server = "given"
            else:
                ports = [_free_port() for _ in range(max(1, options["web_processes"]))]
                env["SITE_PORT"] = str(ports[0])
                processes.extend(self._start_server(options["server"], port, env) for port in ports)
                server = f"{options['server']} ({len(ports)} process{'es' if len(ports) > 1 else ''})"
                if options["server"] != "daphne":  # the inbox socket stays on daphne
                    socket_port = _free_port()
                    processes.append(self._start_server("daphne", socket_port, env))
                    server += " + daphne for the socket"

            def start_worker():
                processes.append(self._start_worker(queue, options["worker_concurrency"], options["worker_nice"], env))

            if not options["worker_after_load"]:
                start_worker()
            report = self._run(
                tenant, owner, number_id, ports, socket_port or ports[0], options,
                after_load=start_worker if options["worker_after_load"] else None,
            )  # fmt: skip
            report.update(
                server=server,
                worker_concurrency=options["worker_concurrency"],
                worker_nice=options["worker_nice"],
                worker_started="after the load" if options["worker_after_load"] else "before the load",
                cpus=os.cpu_count(),
            )
        finally:
            for process in processes:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=20)
                if process.poll() is None:
                    process.kill()
            connection.set_schema_to_public()
            if not options["keep"]:
                WebhookEvent.objects.filter(tenant=tenant).delete()
                WhatsAppNumber.objects.filter(tenant=tenant).delete()
                drop_bench_tenant(tenant, user_ids=[owner.pk])
        self.stdout.write(json.dumps(report, indent=2))

    def _store_cost(self, number_id: str, secret: str, count: int = 200) -> float:
        """What checking and storing one delivery costs here, in this process, one after the other (no web
        server): the floor under the webhook's latency. The rows are deleted again."""
        from chats.webhooks import intake

        bodies = [
            inbound_body(phone_number_id=number_id, phone="+34600000001", name="Store", text=f"store {n}")
            for n in range(count)
        ]
        ids = []
        started = time.perf_counter()
        for body in bodies:
            ids.append(intake.accept_cloud(body, cloud_signature(body, secret), defer=True).event_id)
        seconds = time.perf_counter() - started
        WebhookEvent.objects.filter(pk__in=ids).delete()
        return round(seconds / count * 1000, 2)

    def _start_server(self, server: str, port: int, env: dict) -> subprocess.Popen:
        import urllib.error
        import urllib.request

        if server == "daphne":
            # -v 0: no access log, as deployed (docker/entrypoint.sh)
            command = [
                sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                "config.asgi:application",
            ]  # fmt: skip
        else:
            command = [
                sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
                "--http", "httptools", "--lifespan", "off", "--no-access-log", "config.asgi:application",
            ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)  # noqa: S603
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"{server} exited")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                return process
            except urllib.error.HTTPError:
                return process
            except OSError:
                time.sleep(0.2)
        process.kill()
        raise CommandError(f"{server} did not answer")

    def _start_worker(self, queue: str, concurrency: int, nice: int, env: dict) -> subprocess.Popen:
        from config.celery import app, status_queue

        name = f"{queue}@localhost"
        command = [
            *(["nice", "-n", str(nice)] if nice else []),
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
            f"--concurrency={concurrency}", "-Q", f"{queue},{status_queue(queue)}", "-n", name, "-l", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)  # noqa: S603
        deadline = time.monotonic() + START_TIMEOUT
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise CommandError("the bench's Celery worker did not start")
        return process

    def _sent_messages(self, tenant, number_id: str, count: int) -> list[str]:
        """Provider ids of `count` messages the company sent, for the statuses to report on (a status of an
        unknown message would be retried, as one that overtook its send, and load the worker thrice)."""
        from crm.public import lead_upsert_by_phone

        with tenant_context(tenant):
            lead, _ = lead_upsert_by_phone(tenant=tenant, phone="+34600000009", source="whatsapp")
            conversation = Conversation.objects.create(lead=lead, provider="sandbox", phone_number_id=number_id)
            messages = Message.objects.bulk_create(
                Message(
                    conversation=conversation,
                    direction=Message.Direction.OUT,
                    text="bench",
                    status=Message.Status.SENT,
                    sender=Message.Sender.USER,
                    provider_message_id=f"wamid.bench.{uuid.uuid4().hex}",
                )
                for _ in range(count)
            )
        return [message.provider_message_id for message in messages]

    def _run(self, tenant, owner, number_id: str, ports: list[int], socket_port: int, options, after_load=None) -> dict:
        secret = sandbox_secret(number_id)
        host = settings.BASE_DOMAIN
        sent = iter(self._sent_messages(tenant, number_id, options["deliveries"] // 4 + 1))
        bodies = []
        for n in range(options["deliveries"]):
            phone = f"+346{10000000 + n % 500}"
            if n % 4 == 1:
                bodies.append(_voice_body(number_id, phone))
            elif n % 4 == 3:
                bodies.append(_status_body(number_id, next(sent), "delivered"))
            else:
                bodies.append(
                    inbound_body(phone_number_id=number_id, phone=phone, name="Bench Lead", text=f"hello {n}")
                )
        store_ms = self._store_cost(number_id, secret)
        # The load generator runs on uvloop: it shares the two cores with the server it measures, and the
        # less it takes, the less it weighs on the figures (the providers' own servers send the real load).
        open_loop = {}
        # Nor do the generator's own collector passes (each walks the whole Django process: about 100 ms
        # here) count as the server's latency: no cyclic collection while it sends.
        gc.collect()
        gc.disable()
        if options["rate"]:
            seconds, latencies, services, lags, statuses = uvloop.run(
                _load_open(ports, host, bodies, secret, options["concurrency"], options["rate"])
            )
            open_loop = {
                "rate_asked": options["rate"],
                "service_ms": latency_summary(services),  # from the actual send, for comparison
                "send_lag_ms": latency_summary(lags),  # how late the generator sent (no free connection, CPU)
                "sent_late_over_5ms": sum(1 for lag in lags if lag > 0.005),
            }
        else:
            seconds, latencies, statuses = uvloop.run(_load(ports, host, bodies, secret, options["concurrency"]))
        gc.enable()
        accepted = statuses.get(200, 0)
        if after_load is not None:
            after_load()
        started = time.perf_counter()
        deadline = started + options["drain_timeout"]
        pending = WebhookEvent.objects.filter(tenant=tenant, status=WebhookEvent.Status.RECEIVED)
        while pending.exists() and time.perf_counter() < deadline:
            time.sleep(0.25)
        with tenant_context(tenant):  # the voice notes' media tasks too
            downloading = Message.objects.filter(media_state=Message.MediaState.PENDING)
            while downloading.exists() and time.perf_counter() < deadline:
                time.sleep(0.25)
        drained = time.perf_counter() - started
        processed = WebhookEvent.objects.filter(tenant=tenant).exclude(status=WebhookEvent.Status.RECEIVED).count()
        client = Client()
        client.force_login(owner)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        tenant_host = f"{tenant.slug}.{settings.BASE_DOMAIN}:{socket_port}"
        samples_from = timezone.now()
        timings, answers, missed = asyncio.run(
            _inbox_latency(ports[0], socket_port, host, tenant_host, cookie, number_id, secret, options["samples"])
        )
        return {
            "deliveries": len(bodies),
            "concurrency": options["concurrency"],
            "statuses": statuses,
            "mode": f"open loop at {options['rate']:g}/s" if options["rate"] else "closed loop",
            "accepted_per_second": round(accepted / seconds, 1),
            "store_only_ms_per_delivery": store_ms,
            # open loop: from when each delivery was due; closed loop: from its send
            "latency_ms": latency_summary(latencies),
            **({"open_loop": open_loop} if open_loop else {}),
            "processing": {
                "processed": processed,
                "seconds_after_load": round(drained, 2),
                "processed_per_second_overall": round(processed / (seconds + drained), 1),
            },
            "inbound_to_inbox_ms": {
                # where the time goes: the webhook's answer, and from the row's insert to its processing
                # (the task's trip to the worker and the processing itself)
                "answered_p50": percentile(answers, 0.5),
                "stored_to_processed_p50": percentile(
                    [
                        (processed - received).total_seconds()
                        for received, processed in WebhookEvent.objects.filter(
                            tenant=tenant, received_at__gte=samples_from, processed_at__isnull=False
                        ).values_list("received_at", "processed_at")
                    ],
                    0.5,
                ),
                "samples": len(timings),
                "missed": missed,
                "p50": percentile(timings, 0.5),
                "p95": percentile(timings, 0.95),
                "mean": round(statistics.mean(timings) * 1000, 1) if timings else None,
            },
        }
