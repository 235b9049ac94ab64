"""What the three transports share: the configuration, the interface, how errors are sorted, and what a
worker remembers of a server."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import time
import xmlrpc.client
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from core.errors import PermanentClientError, TransientClientError

PROTOCOLS = ("xmlrpc", "jsonrpc", "json2")
# Odoo exceptions that mean "the same call may work in a moment" (PostgreSQL serialization failures
# and lock timeouts Odoo gave up retrying, a worker being recycled).
_TRANSIENT_ODOO_ERRORS = re.compile(
    r"SerializationFailure|TransactionRollbackError|could not serialize access|LockNotAvailable|"
    r"concurrent update|deadlock detected|OperationalError: server closed the connection",
    re.IGNORECASE,
)
_CANNOT_MARSHAL_NONE = "cannot marshal None"
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
_MAX_MESSAGE = 1000


@dataclass(frozen=True)
class OdooConfig:
    """What a transport needs, from the vault's `odoo` credential."""

    url: str
    database: str
    username: str
    secret: str
    protocol: str = "xmlrpc"
    timeout: float = 20.0

    def __repr__(self) -> str:  # never print the secret
        return f"OdooConfig(url={self.url!r}, database={self.database!r}, protocol={self.protocol!r})"


@dataclass(frozen=True)
class ServerVersion:
    version: str
    major: int


class OdooTransport(Protocol):
    """One authenticated connection to one Odoo database. Not thread-safe: one per task."""

    protocol: str
    calls: int

    def version(self) -> ServerVersion:
        """The server's version (no authentication needed)."""

    def search_read(
        self, model: str, domain: list, fields: list[str], *, limit: int | None = None, order: str | None = None
    ) -> list[dict]: ...

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict]: ...

    def create(self, model: str, values: dict, *, context: dict | None = None) -> int: ...

    def write(self, model: str, ids: list[int], values: dict) -> None: ...

    def call(self, model: str, method: str, ids: list[int], *, context: dict | None = None) -> Any:
        """A public method of records (`action_confirm`, `button_validate`, a wizard's `create_invoices`).
        Returns what Odoo returned; None when XML-RPC could not marshal a None result."""

    def close(self) -> None: ...


def _clip(message: str, secret: str = "") -> str:
    message = (message or "").strip()
    if secret:
        message = message.replace(secret, "•••")
    return message[:_MAX_MESSAGE]


def _fields_required(fields: list[str]) -> None:
    if not fields:
        raise ValueError("Odoo reads always name their fields (odoorpc browse() fails on account.move)")


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, base path) of an Odoo URL; PermanentClientError when it is not http(s)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentClientError(_("The Odoo URL must start with http:// or https:// and name a server."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise PermanentClientError(_("The Odoo URL has an invalid port.")) from error
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def _network_error(error: BaseException) -> TransientClientError | PermanentClientError:
    if isinstance(error, ssl.SSLCertVerificationError):
        return PermanentClientError(_("Odoo's TLS certificate could not be verified: %(error)s") % {"error": error})
    if isinstance(error, (TimeoutError, socket.timeout)):
        return TransientClientError(_("Odoo did not answer in time."), code="timeout")
    return TransientClientError(_("Odoo could not be reached: %(error)s") % {"error": error}, code="network")


def _status_error(status: int, message: str) -> TransientClientError | PermanentClientError:
    if status in _RETRY_STATUSES:
        return TransientClientError(
            _("Odoo answered HTTP %(status)s: %(message)s") % {"status": status, "message": message}, code=str(status)
        )
    if status in (401, 403):
        return PermanentClientError(
            _("Odoo refused the credentials (HTTP %(status)s): %(message)s") % {"status": status, "message": message},
            code=str(status),
        )
    if status == 404:
        return PermanentClientError(
            _("Odoo's API was not found at this URL (HTTP 404). Check the URL and the protocol."), code="404"
        )
    return PermanentClientError(message or f"HTTP {status}", code=str(status))


def _odoo_error(name: str, message: str) -> TransientClientError | PermanentClientError:
    """An exception Odoo raised while running the method: `name` is its class path."""
    if _TRANSIENT_ODOO_ERRORS.search(f"{name} {message}"):
        return TransientClientError(message, code=name or "odoo")
    return PermanentClientError(message, code=name or "odoo")


def _fault_error(fault: xmlrpc.client.Fault, secret: str) -> TransientClientError | PermanentClientError:
    # /xmlrpc/2 answers UserError/ValidationError (2), AccessDenied (3) and AccessError (4) with the
    # message, anything else (1) with the whole traceback, whose last line is "module.Class: message".
    text = _clip(str(fault.faultString), secret)
    if fault.faultCode in (2, 3, 4):
        return PermanentClientError(text, code=f"fault-{fault.faultCode}")
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else text
    name, _sep, message = last.partition(": ")
    if _TRANSIENT_ODOO_ERRORS.search(text):
        return TransientClientError(message or last, code=name)
    return PermanentClientError(message or last, code=name)


# What a worker process learnt of a server, per connection settings: the version and the user id do not
# change between two pushes, so each push skips asking them again (two calls of every push otherwise).
_SESSIONS: dict[tuple, tuple[float, dict]] = {}
SESSION_TTL = 600.0


def _session_key(config: OdooConfig) -> tuple:
    secret = hashlib.sha256(config.secret.encode()).hexdigest()
    return (config.protocol, config.url, config.database, config.username, secret)


def _session(config: OdooConfig) -> dict:
    key = _session_key(config)
    entry = _SESSIONS.get(key)
    if entry is None or time.monotonic() - entry[0] > SESSION_TTL:
        entry = (time.monotonic(), {})
        _SESSIONS[key] = entry
    return entry[1]


def forget_session(config: OdooConfig) -> None:
    _SESSIONS.pop(_session_key(config), None)


def _server_version(info: Any) -> ServerVersion:
    """Odoo's version dict (`server_version` "17.0", "saas~18.3", "19.0+e"...) as a major number."""
    if not isinstance(info, dict):
        raise PermanentClientError(_("The server did not report an Odoo version."), code="version")
    version = str(info.get("server_version") or info.get("version") or "")
    series = info.get("server_version_info") or info.get("version_info")
    major = None
    if isinstance(series, list | tuple) and series and isinstance(series[0], int):
        major = series[0]
    else:
        match = re.search(r"(\d+)", version)
        major = int(match.group(1)) if match else None
    if major is None:
        raise PermanentClientError(_("The server did not report an Odoo version."), code="version")
    return ServerVersion(version=version, major=major)
