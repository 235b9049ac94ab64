"""A fake Meta Graph API: `FakeGraph` holds accounts, campaigns, ad sets, ads, daily insights, leads and
templates in Graph's own JSON shapes (numbers as strings, see shared contracts meta_*), and answers Graph
paths. `FakeGraphServer` serves it over HTTP on loopback, so tests drive the real `GraphMetaClient` (the
SDK's session pointed at it); `SandboxMetaClient` reads it in memory for the demo's sandbox account."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from marketing.clients import meta


class FakeGraph:
    """State of a pretend Meta. `tokens` are the valid access tokens; `codes` the OAuth codes it will
    accept; `fail_next` makes the next request (or the next n) answer with a Graph error."""

    LONG_LIVED_SECONDS = 60 * 24 * 3600

    def __init__(self):
        self.tokens: set[str] = set()
        self.codes: dict[str, str] = {}  # code -> short-lived token it gives
        self.user_name = "Fake Meta User"
        self.accounts: dict[str, dict] = {}
        self.campaigns: list[dict] = []
        self.adsets: list[dict] = []
        self.ads: list[dict] = []
        # ad id -> {day isoformat: row dict}; rows generated lazily when `insight_maker` is set.
        self.insights: dict[str, dict[str, dict]] = {}
        self.insight_maker = None  # callable(ad, day) -> row dict, for big volumes
        self.leads: dict[str, dict] = {}
        self.templates: dict[str, list[dict]] = {}
        self.fail_next: list[tuple[int, int, str]] = []  # (http status, graph code, message)
        self.requests: list[tuple[str, dict]] = []
        self._lock = threading.Lock()

    # Building the world -------------------------------------------------------------------------------

    def add_account(self, meta_id: str, name: str, currency: str = "EUR") -> dict:
        account = {"id": meta_id, "account_id": meta_id.removeprefix("act_"), "name": name, "currency": currency}
        self.accounts[meta_id] = account
        return account

    def add_campaign(self, account: str, meta_id: str, name: str, **extra) -> dict:
        row = {
            "id": meta_id,
            "name": name,
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "objective": "OUTCOME_LEADS",
            "daily_budget": "5000",
            "_account": account,
            **extra,
        }
        self.campaigns.append(row)
        return row

    def add_adset(self, campaign: dict, meta_id: str, name: str, **extra) -> dict:
        row = {
            "id": meta_id,
            "name": name,
            "campaign_id": campaign["id"],
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "_account": campaign["_account"],
            **extra,
        }
        self.adsets.append(row)
        return row

    def add_ad(self, adset: dict, meta_id: str, name: str, **extra) -> dict:
        row = {
            "id": meta_id,
            "name": name,
            "adset_id": adset["id"],
            "campaign_id": adset["campaign_id"],
            "status": "ACTIVE",
            "effective_status": "ACTIVE",
            "_account": adset["_account"],
            **extra,
        }
        self.ads.append(row)
        return row

    def add_insight(
        self,
        ad: dict,
        day: date,
        *,
        spend: str,
        impressions: str = "1000",
        clicks: str = "20",
        reach: str = "800",
        leads: int = 0,
    ) -> dict:
        row = {
            "account_id": ad["_account"].removeprefix("act_"),
            "campaign_id": ad["campaign_id"],
            "adset_id": ad["adset_id"],
            "ad_id": ad["id"],
            "date_start": day.isoformat(),
            "date_stop": day.isoformat(),
            "spend": spend,
            "impressions": impressions,
            "clicks": clicks,
            "reach": reach,
            "actions": [{"action_type": "lead", "value": str(leads)}] if leads else [],
        }
        self.insights.setdefault(ad["id"], {})[day.isoformat()] = row
        return row

    def issue_code(self, code: str = "good-code") -> str:
        self.codes[code] = f"short-{code}"
        return code

    # Answering ----------------------------------------------------------------------------------------

    def handle(self, path: str, params: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append((path, params))
            if self.fail_next:
                status, code, message = self.fail_next.pop(0)
                return status, {"error": {"message": message, "type": "OAuthException", "code": code}}
        parts = [p for p in path.split("/") if p]
        if parts and parts[0].startswith("v") and "." in parts[0]:
            parts = parts[1:]
        if parts == ["oauth", "access_token"]:
            return self._oauth(params)
        if params.get("access_token") not in self.tokens:
            return 400, {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}
        if parts == ["me"]:
            return 200, {"id": "1000", "name": self.user_name}
        if parts == ["me", "adaccounts"]:
            return 200, self._page(list(self.accounts.values()), params)
        if len(parts) == 2 and parts[0] in self.accounts:
            account, edge = parts
            if edge == "campaigns":
                return 200, self._page(self._public([c for c in self.campaigns if c["_account"] == account]), params)
            if edge == "adsets":
                return 200, self._page(self._public([c for c in self.adsets if c["_account"] == account]), params)
            if edge == "ads":
                return 200, self._page(self._public([c for c in self.ads if c["_account"] == account]), params)
            if edge == "insights":
                return 200, self._insights_page(account, params)
        if len(parts) == 2 and parts[1] == "message_templates":
            return 200, self._page(self.templates.get(parts[0], []), params)
        if len(parts) == 1 and parts[0] in self.leads:
            return 200, self.leads[parts[0]]
        return 404, {"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}}

    def _oauth(self, params: dict) -> tuple[int, dict]:
        if params.get("grant_type") == "fb_exchange_token":
            short = params.get("fb_exchange_token", "")
            if short not in self.tokens:
                return 400, {"error": {"message": "Invalid token", "type": "OAuthException", "code": 190}}
            long = f"long-{short}"
            self.tokens.add(long)
            return 200, {"access_token": long, "token_type": "bearer", "expires_in": self.LONG_LIVED_SECONDS}
        code = params.get("code", "")
        if code not in self.codes:
            return 400, {
                "error": {"message": "Invalid verification code format.", "type": "OAuthException", "code": 100}
            }
        short = self.codes.pop(code)
        self.tokens.add(short)
        return 200, {"access_token": short, "token_type": "bearer", "expires_in": 3600}

    @staticmethod
    def _public(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]

    @staticmethod
    def _page(rows: list[dict], params: dict) -> dict:
        limit = int(params.get("limit") or 25)
        start = int(params.get("after") or 0)
        chunk = rows[start : start + limit]
        body = {"data": chunk, "paging": {"cursors": {"before": str(start), "after": str(start + len(chunk))}}}
        if start + limit < len(rows):
            body["paging"]["next"] = "next-page"
        return body

    def _insights_page(self, account: str, params: dict) -> dict:
        time_range = params.get("time_range")
        time_range = json.loads(time_range) if isinstance(time_range, str) else (time_range or {})
        since = date.fromisoformat(time_range["since"])
        until = date.fromisoformat(time_range["until"])
        days = (until - since).days + 1
        ads = [ad for ad in self.ads if ad["_account"] == account]
        limit = int(params.get("limit") or 25)
        start = int(params.get("after") or 0)
        total = len(ads) * days
        rows = []
        for index in range(start, min(start + limit, total)):
            ad = ads[index // days]
            day = since + timedelta(days=index % days)
            if self.insight_maker is not None:
                row = self.insight_maker(ad, day)
            else:
                row = self.insights.get(ad["id"], {}).get(day.isoformat())
            if row is not None:
                rows.append(row)
        end = min(start + limit, total)
        body = {"data": rows, "paging": {"cursors": {"before": str(start), "after": str(end)}}}
        if end < total:
            body["paging"]["next"] = "next-page"
        return body


class _Handler(BaseHTTPRequestHandler):
    graph: FakeGraph

    def do_GET(self):
        url = urlparse(self.path)
        params = {key: values[-1] for key, values in parse_qs(url.query).items()}
        status, body = self.server.graph.handle(url.path, params)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class FakeGraphServer:
    """`with FakeGraphServer(graph) as url:` serves `graph` on a free loopback port until the block ends."""

    def __init__(self, graph: FakeGraph):
        self.graph = graph
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.graph = graph
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


class SandboxMetaClient:
    """The demo's sandbox account: the `MetaClient` protocol answered from a `FakeGraph` in memory, through
    the same parsers as the real client. Never reaches the network."""

    def __init__(self, graph: FakeGraph, *, access_token: str = "sandbox"):  # noqa: S107 - the sandbox's pretend token
        self.graph = graph
        self.graph.tokens.add(access_token)
        self._token = access_token

    def _get(self, path: str, params: dict | None = None) -> dict:
        status, body = self.graph.handle(path, {**(params or {}), "access_token": self._token})
        if status != 200:
            error = body.get("error", {})
            raise meta.error_from(code=int(error.get("code", 0)), message=error.get("message", ""), status=status)
        return body

    def _pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        params = {**(params or {}), "limit": meta.PAGE_SIZE}
        while True:
            body = self._get(path, params)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            if "next" not in paging:
                return
            params = {**params, "after": paging["cursors"]["after"]}

    def exchange_code(self, *, code: str, redirect_uri: str) -> meta.Token:
        return meta.Token(access_token=self._token, expires_at=None)

    def me(self) -> str:
        return self._get("/me")["name"]

    def ad_accounts(self):
        return [meta.parse_account(item) for item in self._pages("/me/adaccounts")]

    def campaigns(self, account_id: str):
        return [meta.parse_campaign(item) for item in self._pages(f"/{account_id}/campaigns")]

    def adsets(self, account_id: str):
        return [meta.parse_adset(item) for item in self._pages(f"/{account_id}/adsets")]

    def ads(self, account_id: str):
        return [meta.parse_ad(item) for item in self._pages(f"/{account_id}/ads")]

    def insights(self, account_id: str, *, since: date, until: date):
        time_range = json.dumps({"since": since.isoformat(), "until": until.isoformat()})
        for item in self._pages(f"/{account_id}/insights", {"time_range": time_range}):
            yield meta.parse_insight(item)

    def lead(self, leadgen_id: str):
        return meta.parse_lead(self._get(f"/{leadgen_id}"))

    def templates(self, waba_id: str):
        return [meta.parse_template(item) for item in self._pages(f"/{waba_id}/message_templates")]


def sandbox_graph(*, today: date | None = None, days: int = 30) -> FakeGraph:
    """The demo's pretend Meta: one EUR account, three campaigns with two ad sets of two ads each, and
    `days` days of insights ending today. Deterministic, so the demo shows the same figures each time."""
    today = today or date.today()
    graph = FakeGraph()
    graph.user_name = "Demo Marketing"
    account = graph.add_account("act_1000000001", "Demo ads account", "EUR")
    names = [
        ("Spring promotion", "OUTCOME_LEADS"),
        ("WhatsApp conversations", "OUTCOME_ENGAGEMENT"),
        ("Retargeting", "OUTCOME_SALES"),
    ]
    for c, (name, objective) in enumerate(names, start=1):
        campaign = graph.add_campaign(
            account["id"], f"2384{c:03d}", name, objective=objective, daily_budget=str(3000 + 1000 * c)
        )
        for s in range(1, 3):
            adset = graph.add_adset(campaign, f"2385{c:03d}{s}", f"{name} · {'Madrid' if s == 1 else 'Barcelona'}")
            for a in range(1, 3):
                ad = graph.add_ad(adset, f"2386{c:03d}{s}{a}", f"{name} · {'Video' if a == 1 else 'Carousel'} {s}")
                for back in range(days):
                    day = today - timedelta(days=back)
                    cents = 500 + (c * 397 + s * 131 + a * 71 + back * 53) % 1500
                    graph.add_insight(
                        ad,
                        day,
                        spend=str(Decimal(cents) / 100),
                        impressions=str(900 + cents),
                        clicks=str(10 + cents % 40),
                        reach=str(700 + cents // 2),
                        leads=(cents % 3),
                    )
    graph.templates["demo-waba"] = [
        {
            "id": "9001",
            "name": "welcome_offer",
            "language": "es",
            "category": "MARKETING",
            "status": "APPROVED",
            "components": [
                {
                    "type": "BODY",
                    "text": "Hola {{1}}, gracias por tu interés. ¿Te llamamos {{2}}?",
                    "example": {"body_text": [["Ana", "mañana"]]},
                },
            ],
        },
        {
            "id": "9002",
            "name": "appointment_reminder",
            "language": "es",
            "category": "UTILITY",
            "status": "APPROVED",
            "components": [
                {
                    "type": "BODY",
                    "text": "Hola {{1}}, te recordamos tu cita de mañana.",
                    "example": {"body_text": [["Ana"]]},
                }
            ],
        },
    ]
    return graph
