"""Throttles on signing in, registering and asking for password resets (counters in core.ratelimit).

Sign-in failures are counted three ways, so guessing is limited without letting a stranger lock a person
out of their own account:
- per address (THROTTLE_LOGIN_IP): one source trying many accounts;
- per account and address (THROTTLE_LOGIN_ACCOUNT_IP): one source guessing one account. The person signing
  in from anywhere else is not affected by it;
- per account (THROTTLE_LOGIN_ACCOUNT), a slower ceiling over every address: guessing spread over many
  sources. A browser the person has signed in with before (a signed cookie) is exempt from this ceiling
  only, so even a spread attack does not lock them out of their usual browser.

Accounts are counted by the account the address finds (the database compares case-insensitively and folds
more letters than Python's lower() does), or by the address itself when it finds none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from core import ratelimit
from core.audit import audit_log
from core.context import client_ip
from tenants.models import User

KNOWN_BROWSER_COOKIE = "crm_known"
KNOWN_BROWSER_SALT = "tenants.known-browser"
KNOWN_BROWSER_MAX_AGE = 60 * 60 * 24 * 365
KNOWN_BROWSER_ACCOUNTS = 5  # the most recent accounts a browser remembers


def _ip(request) -> str:
    return client_ip(request) or "unknown"


def throttled(request, *, scope: str, checks: list[tuple[str, str, tuple[int, int]]], label: str = "") -> bool:
    """Says whether any `(kind, identity, (limit, window))` of `checks` has used up its attempts. The first
    refused attempt of a window is audited; the ones after it are not, so hammering a locked account
    cannot flood the audit log."""
    for kind, identity, (limit, window) in checks:
        if ratelimit.is_limited(scope=f"{scope}:{kind}", identity=identity, limit=limit):
            if ratelimit.hit(scope=f"{scope}:{kind}:refused", identity=identity, window=window) == 1:
                audit_log(action=f"{scope}.throttled", object_type="account", object_repr=label, changes={})
            return True
    return False


def count(*, scope: str, checks: list[tuple[str, str, tuple[int, int]]]) -> None:
    for kind, identity, (_limit, window) in checks:
        ratelimit.hit(scope=f"{scope}:{kind}", identity=identity, window=window)


def account_identity(email: str) -> str:
    """What an address's attempts are counted against: the account it finds, else the address."""
    pk = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    return f"user:{pk}" if pk is not None else f"email:{email.lower()}"


def _known_accounts(request) -> list[str]:
    value = request.get_signed_cookie(
        KNOWN_BROWSER_COOKIE, default="", salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_MAX_AGE
    )
    return [part for part in value.split(",") if part]


@dataclass
class LoginAttempt:
    """One sign-in attempt with an address: `refused()` before checking the password, then `failed()` or
    `succeeded(response)`."""

    request: HttpRequest
    email: str
    account: str = field(init=False)
    ip: str = field(init=False)

    def __post_init__(self):
        self.account = account_identity(self.email)
        self.ip = _ip(self.request)

    def _checks(self, *, ceiling: bool = True) -> list[tuple[str, str, tuple[int, int]]]:
        checks = [
            ("ip", self.ip, settings.THROTTLE_LOGIN_IP),
            ("account-ip", f"{self.account}|{self.ip}", settings.THROTTLE_LOGIN_ACCOUNT_IP),
        ]
        if ceiling:
            checks.append(("account", self.account, settings.THROTTLE_LOGIN_ACCOUNT))
        return checks

    def refused(self) -> bool:
        known = self.account in _known_accounts(self.request)
        return throttled(self.request, scope="login", checks=self._checks(ceiling=not known), label=self.email)

    def failed(self) -> None:
        count(scope="login", checks=self._checks())

    def succeeded(self, response) -> None:
        """Clears this address's count for the account (not the ceiling, which a guesser elsewhere may be
        filling) and lets the browser remember the account."""
        ratelimit.reset(scope="login:account-ip", identity=f"{self.account}|{self.ip}")
        accounts = [self.account, *(a for a in _known_accounts(self.request) if a != self.account)]
        response.set_signed_cookie(
            KNOWN_BROWSER_COOKIE,
            ",".join(accounts[:KNOWN_BROWSER_ACCOUNTS]),
            salt=KNOWN_BROWSER_SALT,
            max_age=KNOWN_BROWSER_MAX_AGE,
            domain=settings.SESSION_COOKIE_DOMAIN,  # every subdomain, where the session is shared too
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
