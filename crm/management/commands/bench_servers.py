"""What the web server itself adds to each page: the same pages of a kept bench company requested over
HTTP (keep-alive, one at a time) from daphne, uvicorn (ASGI) and uvicorn running Django's WSGI handler,
next to the same requests made in-process through Django's test client (no server at all).

    python manage.py bench_servers --reuse bench-1a2b3c4d [--requests 40]

Prints JSON: per server and page, the median and p95 in ms, and the median minus the in-process
median (the server's own cost, handler included). Each server is started on a free loopback port and
stopped afterwards. Run it on a quiet machine: it measures differences of a few milliseconds."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse
from django_tenants.utils import schema_context

from crm.management.commands.bench_crm import percentile
from crm.models import Lead
from tenants.models import Tenant, User
from tenants.selectors import tenant_primary_domain

SERVERS = {
    "daphne": ["-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", "{port}", "config.asgi:application"],
    "uvicorn": [
        "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--lifespan", "off", "--host", "127.0.0.1",
        "--port", "{port}", "config.asgi:application",
    ],
    "uvicorn-wsgi": [
        "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--interface", "wsgi", "--factory",
        "--host", "127.0.0.1", "--port", "{port}", "django.core.wsgi:get_wsgi_application",
    ],
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _timings(get, url: str, requests: int) -> list[float]:
    get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _summary(timings: list[float]) -> dict:
    return {"median_ms": round(statistics.median(timings), 1), "p95_ms": round(percentile(timings, 0.95), 1)}


class Command(BaseCommand):
    help = "Measures what daphne, uvicorn and uvicorn+WSGI add to the CRM pages (JSON on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--reuse", metavar="SLUG", required=True, help="A bench company kept by bench_crm --keep.")
        parser.add_argument("--requests", type=int, default=40)
        parser.add_argument("--servers", default=",".join(SERVERS), help="Comma-separated: " + ", ".join(SERVERS))

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["reuse"], slug__startswith="bench-").first()
        if tenant is None:
            raise CommandError("--reuse takes the slug of a kept bench company.")
        owner = User.objects.get(email=f"owner@{tenant.slug}.bench")
        host = tenant_primary_domain(tenant=tenant)
        with schema_context(tenant.schema_name):
            lead_id = Lead.objects.order_by("id").values_list("id", flat=True).first()
        pages = {
            "dashboard": reverse("crm:dashboard"),
            "board": reverse("crm:board"),
            "list": reverse("crm:lead-list"),
            "detail": reverse("crm:lead-detail", args=[lead_id]),
        }
        requests = options["requests"]
        client = Client(HTTP_HOST=host)
        client.force_login(owner)
        report = {"in_process": {key: _summary(_timings(client.get, url, requests)) for key, url in pages.items()}}
        session = SessionStore()
        session[SESSION_KEY] = str(owner.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
        session.create()
        for name in options["servers"].split(","):
            if name not in SERVERS:
                raise CommandError(f"Unknown server {name}.")
            try:
                report[name] = self._server(name, pages, host, session.session_key, requests, report["in_process"])
            except (httpx.HTTPError, CommandError) as error:  # a server that cannot serve these pages: say why
                report[name] = {"error": f"{type(error).__name__}: {error}"}
        session.delete()
        self.stdout.write(json.dumps(report, indent=2))

    def _server(self, name, pages, host, session_key, requests, in_process) -> dict:
        port = _free_port()
        command = [sys.executable, *(part.replace("{port}", str(port)) for part in SERVERS[name])]
        process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=sys.stderr)  # noqa: S603
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(
                base_url=base,
                headers={"Host": host},
                cookies={settings.SESSION_COOKIE_NAME: session_key},
                timeout=30,
            ) as http:
                for _ in range(200):
                    with contextlib.suppress(httpx.TransportError):
                        http.get("/favicon.ico")
                        break
                    time.sleep(0.1)
                results = {}
                for key, url in pages.items():

                    def get(path, http=http):
                        response = http.get(path)
                        if response.status_code != 200:
                            raise CommandError(f"{name} {path}: {response.status_code}")

                    summary = _summary(_timings(get, url, requests))
                    summary["added_ms"] = round(summary["median_ms"] - in_process[key]["median_ms"], 1)
                    results[key] = summary
                return results
        finally:
            process.terminate()
            process.wait(timeout=10)
