"""Browser tests: a real Daphne (HTTP and websockets) on the test database, driven by Debian's Chromium.

pytest-django's `live_server` is WSGI only, so the session starts `daphne config.asgi:application` in a
subprocess pointed at the same test database, Redis, cache prefix and channel prefix as this process.
What the browser must see is committed: `people` writes it on a connection of its own (see Committed)
and deletes it again after the test, so reruns with --reuse-db and the other tests of the session
find the session tenants as they were.

Set SCREENSHOTS=1 to also write the README's screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from core import ratelimit
from core.models import AuditEntry, Notification
from crm.models import ImportJob, Lead, Stage, Tag
from crm.seeding import Person, seed_leads
from crm.services.leads import lead_create
from tenants.models import Credential, Membership, MembershipStatus, Tenant, User

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
PASSWORD = "a-Strong-pass-123"
T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30
# How long an expectation waits for the page (live updates included) before failing.
EXPECT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Site:
    """The running server; `url(None, "/register/")` is the public site, `url("acme", "/")` a tenant's."""

    port: int

    def url(self, slug: str | None, path: str = "/") -> str:
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db: dict) -> str:
    """The test database as a URL the subprocess' settings parse back (a unix socket dir is percent-encoded)."""
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(url, timeout=5)  # noqa: S310 (loopback, our own server)
            return
        except urllib.error.HTTPError:
            return  # any status: the application answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not answer {url} in {SERVER_START_TIMEOUT}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def server_env(django_db_setup, tmp_path_factory) -> dict[str, str]:
    """The environment of the processes the browser talks to (Daphne, a Celery worker): this process' test
    database, Redis, prefixes and task queue, and a temporary folder for uploaded files."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=_database_url(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
        CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        CHANNELS_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        PYTHONUNBUFFERED="1",
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def site(server_env, tmp_path_factory):
    port = _free_port()
    env = dict(server_env, SITE_PORT=str(port))
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}/health", process, log)
        yield Site(port)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def worker(server_env, tmp_path_factory):
    """A Celery worker (solo pool) on the test queue, for the modules whose pages wait on background work:
    started when the first test of the module asks for it, stopped after the module's last test. Messages
    left on the queue by an interrupted earlier run are purged first."""
    from config.celery import app, status_queue

    name = f"browser-tests-{uuid.uuid4().hex[:8]}@localhost"
    queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},{status_queue(settings.CELERY_TASK_DEFAULT_QUEUE)}"
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q",
        queues, "-n", name, "-l", "WARNING", "--purge",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=server_env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not answer in {SERVER_START_TIMEOUT}s:\n{log.read_text()[-4000:]}")
        yield name
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make between
    # browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def person(browser, site):
    """person(viewport=...) -> a fresh browser context: one person with their own cookies. Whatever the
    Content-Security-Policy made the browser refuse (an inline script, style or handler) fails the test."""
    contexts = []
    refused: list[str] = []

    def watch(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def make(language: str = "en", **options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        # Until someone signs in, pages follow the language cookie: make them readable in assertions.
        context.add_cookies(
            [
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": site.url(slug)}
                for slug in (None, "acme", "globex")
            ]
        )
        context.on("console", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert refused == [], "the Content-Security-Policy refused:\n" + "\n".join(refused)


class Committed:
    """Runs ORM work on a connection of its own, in a worker thread. The test's connection is inside the
    `db` fixture's rolled-back transaction, which the server cannot see; work done here commits at once.
    The test itself only reads (PostgreSQL's read committed shows it what the server commits)."""

    def __init__(self) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="committed-db")

    def __call__(self, work: Callable[..., T], *args, **kwargs) -> T:
        return self._worker.submit(work, *args, **kwargs).result()

    def close(self) -> None:
        self._worker.submit(connections.close_all).result()
        self._worker.shutdown()


@dataclass
class People:
    """Committed users and memberships for one test; everything it made is deleted afterwards."""

    site: Site
    committed: Committed
    password: str = PASSWORD
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    emails: list[str] = field(default_factory=list)
    credentials: list[tuple[str, str]] = field(default_factory=list)

    def email(self, name: str) -> str:
        """A unique address for this run; its account, if one is made, is deleted after the test."""
        address = f"{name}.{self.run}@example.test"
        self.emails.append(address)
        return address

    def member(self, name: str, full_name: str, memberships: dict[str, str], language: str = "en") -> User:
        """A user (password `self.password`) with an active membership per {tenant slug: role}."""
        email = self.email(name)

        def create() -> User:
            user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name, language=language)
            for slug, role in memberships.items():
                Membership.objects.create(
                    user=user, tenant=Tenant.objects.get(slug=slug), role=role, status=MembershipStatus.ACTIVE
                )
            return user

        return self.committed(create)

    def credential(self, slug: str, kind: str) -> None:
        """Deletes `slug`'s `kind` credential once the test is over (the browser is going to store it)."""
        self.credentials.append((slug, kind))

    def sign_in(self, context, user: User, slug: str) -> None:
        """Gives the browser context a session on `slug`'s host, as if the user had signed in there."""

        def session_key() -> str:
            client = Client(HTTP_HOST=f"{slug}.localhost")
            client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value

        key = self.committed(session_key)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": self.site.url(slug)}])

    def forget(self, audit_marks: dict[str, int]) -> None:
        """Deletes what the test made: accounts (with memberships and sessions), credentials, audit entries
        after `audit_marks`, and the throttle counts of the loopback address and of these accounts."""
        users = User.objects.filter(email__in=self.emails)
        user_ids = {str(pk) for pk in users.values_list("pk", flat=True)}
        accounts = [f"user:{pk}" for pk in user_ids] + [f"email:{email}" for email in self.emails]
        for session in Session.objects.all():
            if session.get_decoded().get("_auth_user_id") in user_ids:
                session.delete()
        users.delete()
        for slug, kind in self.credentials:
            Credential.objects.filter(tenant__slug=slug, kind=kind).delete()
        for schema, mark in audit_marks.items():
            with schema_context(schema):
                AuditEntry.objects.filter(id__gt=mark).delete()
                if schema != "public":  # notifications live in the companies' schemas, keyed by user id
                    Notification.objects.filter(user_id__in=[int(pk) for pk in user_ids]).delete()
        for scope in ("register:ip", "login:ip"):
            ratelimit.reset(scope=scope, identity="127.0.0.1")
        for account in accounts:
            ratelimit.reset(scope="login:account", identity=account)
            ratelimit.reset(scope="login:account-ip", identity=f"{account}|127.0.0.1")


def _audit_marks() -> dict[str, int]:
    """The last audit entry's id in every schema."""
    marks = {}
    for schema in ("public", *Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True)):
        with schema_context(schema):
            marks[schema] = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return marks


@pytest.fixture
def people(db, site):
    committed = Committed()
    people = People(site, committed)
    marks = committed(_audit_marks)
    try:
        yield people
    finally:
        committed(people.forget, marks)
        committed.close()


@dataclass
class Leads:
    """Committed CRM data in acme for one test, written through the services as the product writes it.
    Afterwards every lead, import and tag that appeared in acme during the test is deleted (the leads'
    history and documents with them), whoever made it: the test, the server or the worker."""

    committed: Committed
    slug: str = "acme"
    marks: dict = field(default_factory=dict)

    def _in_tenant(self, work: Callable[..., T], *args, **kwargs) -> T:
        def run():
            with tenant_context(Tenant.objects.get(slug=self.slug)):
                return work(*args, **kwargs)

        return self.committed(run)

    def mark(self) -> None:
        def read():
            last = Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0
            last_job = ImportJob.objects.order_by("-id").values_list("id", flat=True).first() or 0
            return {"lead": last, "job": last_job, "tags": set(Tag.objects.values_list("id", flat=True))}

        self.marks = self._in_tenant(read)

    def stages(self) -> dict[str, Stage]:
        """The default stages by key: new, contacted, interested, negotiation, won, lost."""
        return self._in_tenant(lambda: {stage.key: stage for stage in Stage.objects.exclude(key="")})

    def create(self, *, phone: str, stage: str = "new", seller: User | None = None, actor=None, **fields) -> Lead:
        """A lead made by `actor` (or the system) with `lead_create`, in the stage with that key."""

        def create() -> Lead:
            lead = lead_create(
                actor=actor,
                phone=phone,
                stage=Stage.objects.get(key=stage),
                seller_id=seller.pk if seller else None,
                auto_assign=False,
                announce=False,
                **fields,
            )
            return Lead.objects.select_related("stage").get(pk=lead.pk)

        return self._in_tenant(create)

    def seed(self, *, count: int, sellers: list[User], creator: User, days: int, seed: str) -> list[Lead]:
        """`count` realistic leads created over the last `days` days, spread over the stages and `sellers`,
        each with a history (see crm.seeding.seed_leads). Deterministic for a given `seed`."""

        def write() -> list[Lead]:
            seed_leads(
                count=count,
                sellers=[Person(user.pk, user.full_name) for user in sellers],
                creator=Person(creator.pk, creator.full_name),
                rng=random.Random(seed),
                language="en",
                days=days,
                extra_entries=2,
                unassigned_share=0,
            )
            return list(Lead.objects.filter(pk__gt=self.marks["lead"]).select_related("stage"))

        return self._in_tenant(write)

    def read(self, work: Callable[..., T], *args, **kwargs) -> T:
        """Runs `work` in acme's schema, seeing what the server committed."""
        return self._in_tenant(work, *args, **kwargs)

    def forget(self) -> None:
        def delete():
            Lead.objects.filter(pk__gt=self.marks["lead"]).delete()
            ImportJob.objects.filter(pk__gt=self.marks["job"]).delete()
            Tag.objects.exclude(pk__in=self.marks["tags"]).delete()

        self._in_tenant(delete)


@pytest.fixture
def leads(people):
    leads = Leads(people.committed)
    leads.mark()
    try:
        yield leads
    finally:
        leads.forget()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") writes docs/screenshots/name.png when SCREENSHOTS=1, else does nothing.
    The whole page by default; `full_page=False` keeps what the window shows."""

    def take(page, name: str, *, full_page: bool = True) -> None:
        if os.environ.get("SCREENSHOTS") != "1":
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        if full_page:  # from the top, so the sticky header is drawn at the top and not where the page was scrolled
            page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOT_DIR / f"{name}.png", full_page=full_page)

    return take


class DroppableSocket:
    """Routes a page's websocket to `path` through Playwright, to play what a network or a server does to
    it: `drop()` makes the server's messages vanish on the way (the socket stays open, as in a half-dead
    connection), `restart()` lets them through again and closes the page's side with 1012 (a server
    restart), which htmx answers by reconnecting. `opened` counts the connections the page made."""

    def __init__(self, page, path: str):
        self.dropping = False
        self.sockets = []
        page.route_web_socket(re.compile(re.escape(path) + "$"), self._route)

    def _route(self, route) -> None:
        server = route.connect_to_server()
        server.on_message(lambda message: None if self.dropping else route.send(message))
        self.sockets.append(route)

    @property
    def opened(self) -> int:
        return len(self.sockets)

    def drop(self) -> None:
        self.dropping = True

    def restart(self) -> None:
        self.dropping = False
        self.sockets[-1].close(code=1012, reason="restart")
