"""The Meta Graph API (Marketing API, lead retrieval, WhatsApp templates) through `facebook-business`.

`MetaClient` is the protocol the services use; `GraphMetaClient` is the real one (the SDK's session
pointed at settings.META_GRAPH_URL, which tests point at a fake Graph server on loopback); the
in-memory `marketing.clients.fakes.SandboxMetaClient` serves the demo's sandbox account. Graph sends
numbers as strings: the parsers here turn them into Decimal and int, so nothing else sees a string number.
Vendor errors become `TokenRevoked` / `PermanentClientError` (fix something first) or `RateLimited` /
`TransientClientError` (retry later)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from core.errors import PermanentClientError, TransientClientError

# Graph error codes: https://developers.facebook.com/docs/marketing-api/error-reference
TOKEN_CODES = {190, 102, 463, 467}
PERMISSION_CODES = {10, 200, 294, 270}
RATE_LIMIT_CODES = {4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014}


class TokenRevoked(PermanentClientError):
    """The token is expired, revoked or otherwise no longer valid: someone must reconnect."""


class RateLimited(TransientClientError):
    """Meta asks to slow down."""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime | None


@dataclass(frozen=True)
class AdAccountInfo:
    meta_id: str
    name: str
    currency: str


@dataclass(frozen=True)
class CampaignInfo:
    meta_id: str
    name: str
    status: str
    objective: str
    daily_budget: Decimal | None
    lifetime_budget: Decimal | None


@dataclass(frozen=True)
class AdSetInfo:
    meta_id: str
    campaign_id: str
    name: str
    status: str
    daily_budget: Decimal | None
    lifetime_budget: Decimal | None


@dataclass(frozen=True)
class AdInfo:
    meta_id: str
    adset_id: str
    campaign_id: str
    name: str
    status: str


@dataclass(frozen=True)
class InsightRow:
    ad_id: str
    adset_id: str
    campaign_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int
    reach: int
    actions: list = field(default_factory=list)


@dataclass(frozen=True)
class LeadAnswers:
    leadgen_id: str
    answers: dict[str, str]
    ad_id: str = ""
    adset_id: str = ""
    campaign_id: str = ""
    form_id: str = ""
    ad_name: str = ""


@dataclass(frozen=True)
class TemplateInfo:
    meta_id: str
    name: str
    language: str
    category: str
    status: str
    components: list


class MetaClient(Protocol):
    def exchange_code(self, *, code: str, redirect_uri: str) -> Token: ...
    def me(self) -> str: ...
    def ad_accounts(self) -> list[AdAccountInfo]: ...
    def campaigns(self, account_id: str) -> list[CampaignInfo]: ...
    def adsets(self, account_id: str) -> list[AdSetInfo]: ...
    def ads(self, account_id: str) -> list[AdInfo]: ...
    def insights(self, account_id: str, *, since: date, until: date) -> Iterator[InsightRow]: ...
    def lead(self, leadgen_id: str) -> LeadAnswers: ...
    def templates(self, waba_id: str) -> list[TemplateInfo]: ...


# Parsing Graph's JSON ---------------------------------------------------------------------------------


def to_decimal(value, *, cents: bool = False) -> Decimal:
    """Graph's string numbers as Decimal; budgets come in the currency's minor unit (`cents`)."""
    if value in (None, ""):
        return Decimal("0")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return Decimal("0")
    return (number / 100).quantize(Decimal("0.01")) if cents else number.quantize(Decimal("0.01"))


def to_int(value) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(Decimal(str(value)))
    except InvalidOperation:
        return 0


def _budget(value) -> Decimal | None:
    return None if value in (None, "", "0") else to_decimal(value, cents=True)


def parse_account(data: dict) -> AdAccountInfo:
    meta_id = str(data.get("id") or f"act_{data.get('account_id')}")
    return AdAccountInfo(meta_id=meta_id, name=str(data.get("name", "")), currency=str(data.get("currency", "")))


def parse_campaign(data: dict) -> CampaignInfo:
    return CampaignInfo(
        meta_id=str(data["id"]),
        name=str(data.get("name", "")),
        status=str(data.get("effective_status") or data.get("status", "")),
        objective=str(data.get("objective", "")),
        daily_budget=_budget(data.get("daily_budget")),
        lifetime_budget=_budget(data.get("lifetime_budget")),
    )


def parse_adset(data: dict) -> AdSetInfo:
    return AdSetInfo(
        meta_id=str(data["id"]),
        campaign_id=str(data.get("campaign_id", "")),
        name=str(data.get("name", "")),
        status=str(data.get("effective_status") or data.get("status", "")),
        daily_budget=_budget(data.get("daily_budget")),
        lifetime_budget=_budget(data.get("lifetime_budget")),
    )


def parse_ad(data: dict) -> AdInfo:
    return AdInfo(
        meta_id=str(data["id"]),
        adset_id=str(data.get("adset_id", "")),
        campaign_id=str(data.get("campaign_id", "")),
        name=str(data.get("name", "")),
        status=str(data.get("effective_status") or data.get("status", "")),
    )


def parse_insight(data: dict) -> InsightRow:
    return InsightRow(
        ad_id=str(data.get("ad_id", "")),
        adset_id=str(data.get("adset_id", "")),
        campaign_id=str(data.get("campaign_id", "")),
        day=date.fromisoformat(str(data["date_start"])),
        spend=to_decimal(data.get("spend")),
        impressions=to_int(data.get("impressions")),
        clicks=to_int(data.get("clicks")),
        reach=to_int(data.get("reach")),
        actions=[
            {"action_type": str(a.get("action_type", "")), "value": to_int(a.get("value"))}
            for a in (data.get("actions") or [])
        ],
    )


def parse_lead(data: dict) -> LeadAnswers:
    answers = {}
    for item in data.get("field_data") or []:
        values = item.get("values") or []
        answers[str(item.get("name", ""))] = ", ".join(str(v) for v in values)
    return LeadAnswers(
        leadgen_id=str(data.get("id", "")),
        answers=answers,
        ad_id=str(data.get("ad_id", "") or ""),
        adset_id=str(data.get("adset_id", "") or ""),
        campaign_id=str(data.get("campaign_id", "") or ""),
        form_id=str(data.get("form_id", "") or ""),
        ad_name=str(data.get("ad_name", "") or ""),
    )


def parse_template(data: dict) -> TemplateInfo:
    return TemplateInfo(
        meta_id=str(data.get("id", "")),
        name=str(data.get("name", "")),
        language=str(data.get("language", "")),
        category=str(data.get("category", "")),
        status=str(data.get("status", "")),
        components=list(data.get("components") or []),
    )


def parse_token(data: dict) -> Token:
    expires_in = data.get("expires_in")
    expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
    return Token(access_token=str(data["access_token"]), expires_at=expires_at)


def error_from(*, code: int, message: str, status: int | None = None):
    """The ClientError for a Graph error code."""
    if code in TOKEN_CODES:
        return TokenRevoked(message, code=str(code))
    if code in RATE_LIMIT_CODES:
        return RateLimited(message, code=str(code))
    if code in PERMISSION_CODES:
        return PermanentClientError(message, code=str(code))
    if status is not None and status >= 500:
        return TransientClientError(message, code=str(code))
    return PermanentClientError(message, code=str(code))


CAMPAIGN_FIELDS = ["id", "name", "status", "effective_status", "objective", "daily_budget", "lifetime_budget"]
ADSET_FIELDS = ["id", "name", "campaign_id", "status", "effective_status", "daily_budget", "lifetime_budget"]
AD_FIELDS = ["id", "name", "adset_id", "campaign_id", "status", "effective_status"]
INSIGHT_FIELDS = ["ad_id", "adset_id", "campaign_id", "spend", "impressions", "clicks", "reach", "actions"]
LEAD_FIELDS = ["id", "created_time", "ad_id", "ad_name", "adset_id", "campaign_id", "form_id", "field_data"]
PAGE_SIZE = 500


class GraphMetaClient:
    """The real client. Each instance holds one SDK session (no process-wide default api), so two
    companies' tokens never mix in one worker."""

    def __init__(self, *, access_token: str = "", app_id: str = "", app_secret: str = ""):
        from facebook_business.api import FacebookAdsApi
        from facebook_business.session import FacebookSession

        self._app_id = app_id or settings.META_APP_ID
        self._app_secret = app_secret or settings.META_APP_SECRET
        session = FacebookSession(
            app_id=self._app_id or None,
            app_secret=(self._app_secret or None) if access_token else None,
            access_token=access_token or None,
            timeout=settings.META_TIMEOUT,
        )
        session.GRAPH = settings.META_GRAPH_URL.rstrip("/")
        self._api = FacebookAdsApi(session, api_version=settings.META_API_VERSION)

    def _call(self, path: tuple, params: dict | None = None) -> dict:
        from facebook_business.exceptions import FacebookRequestError
        from requests.exceptions import RequestException

        try:
            return self._api.call("GET", path, params=params or {}).json()
        except FacebookRequestError as error:
            raise error_from(
                code=error.api_error_code() or 0, message=error.api_error_message() or "", status=error.http_status()
            ) from error
        except RequestException as error:
            raise TransientClientError(f"Meta could not be reached: {error.__class__.__name__}") from error

    def _pages(self, path: tuple, params: dict) -> Iterator[dict]:
        """Every item of a paged edge, one page in memory at a time."""
        params = {**params, "limit": PAGE_SIZE}
        while True:
            body = self._call(path, params)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or "next" not in paging:
                return
            params = {**params, "after": after}

    def exchange_code(self, *, code: str, redirect_uri: str) -> Token:
        short = self._call(
            ("oauth", "access_token"),
            {
                "client_id": self._app_id,
                "client_secret": self._app_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        long = self._call(
            ("oauth", "access_token"),
            {
                "grant_type": "fb_exchange_token",
                "client_id": self._app_id,
                "client_secret": self._app_secret,
                "fb_exchange_token": short["access_token"],
            },
        )
        return parse_token(long)

    def me(self) -> str:
        return str(self._call(("me",), {"fields": "id,name"}).get("name", ""))

    def ad_accounts(self) -> list[AdAccountInfo]:
        return [
            parse_account(item) for item in self._pages(("me", "adaccounts"), {"fields": "id,account_id,name,currency"})
        ]

    def campaigns(self, account_id: str) -> list[CampaignInfo]:
        return [
            parse_campaign(item)
            for item in self._pages((account_id, "campaigns"), {"fields": ",".join(CAMPAIGN_FIELDS)})
        ]

    def adsets(self, account_id: str) -> list[AdSetInfo]:
        return [parse_adset(item) for item in self._pages((account_id, "adsets"), {"fields": ",".join(ADSET_FIELDS)})]

    def ads(self, account_id: str) -> list[AdInfo]:
        return [parse_ad(item) for item in self._pages((account_id, "ads"), {"fields": ",".join(AD_FIELDS)})]

    def insights(self, account_id: str, *, since: date, until: date) -> Iterator[InsightRow]:
        import json

        params = {
            "level": "ad",
            "time_increment": 1,
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": ",".join(INSIGHT_FIELDS),
        }
        for item in self._pages((account_id, "insights"), params):
            yield parse_insight(item)

    def lead(self, leadgen_id: str) -> LeadAnswers:
        return parse_lead(self._call((leadgen_id,), {"fields": ",".join(LEAD_FIELDS)}))

    def templates(self, waba_id: str) -> list[TemplateInfo]:
        fields = "id,name,language,category,status,components"
        return [parse_template(item) for item in self._pages((waba_id, "message_templates"), {"fields": fields})]
