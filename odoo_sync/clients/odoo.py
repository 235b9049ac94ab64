"""Odoo's external API behind one interface, `OdooTransport`, with three implementations:

- `XmlRpcTransport`: `/xmlrpc/2/common` and `/xmlrpc/2/object` (stdlib xmlrpc.client), Odoo 8 to 19;
- `JsonRpcTransport`: `/jsonrpc` through `odoorpc` (Odoo 10 to 19);
- `Json2Transport`: Odoo 19's `/json/2/<model>/<method>` with a bearer API key (the successor of both,
  which Odoo 20 keeps when it drops the others).

Every call has a timeout. Every vendor error becomes `TransientClientError` (down, slow, overloaded,
a serialization conflict: retry later) or `PermanentClientError` (refused login, a record Odoo refuses,
a missing app: a person must fix something), carrying Odoo's own message. Facts seen against a real
Odoo 17 that shape this module (see ../shared/contracts/README.md):

- XML-RPC cannot marshal a None result: the method ran (and committed) but the answer is a Fault
  "cannot marshal None unless allow_none is enabled". That Fault is a success whose value is None;
  callers read the record back.
- `read` / `search_read` always name their fields: odoorpc's `browse()` on `account.move` fails on
  frozendict values and keeps stale values, so it is never used (only `execute_kw`).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
import xmlrpc.client
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

from django.conf import settings
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


class _OnceMixin:
    """A timeout on every connection, and each request sent once. The stdlib's `Transport.request`
    sends a request again when the kept-alive connection drops without an answer; for a `create`
    that ran in Odoo before the drop, that second send makes a duplicate record. Here a drop is a
    TransientClientError and the caller looks the record up before creating it again."""

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection

    def request(self, host, handler, request_body, verbose=False):
        try:
            return self.single_request(host, handler, request_body, verbose)
        except BaseException:
            self.close()
            raise


class _TimeoutTransport(_OnceMixin, xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout


class _SafeTimeoutTransport(_OnceMixin, xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float):
        super().__init__(context=ssl.create_default_context())
        self._timeout = timeout


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


class _ExecuteKwTransport:
    """Shared by the two classic protocols: everything is `execute_kw(db, uid, secret, model, method,
    args, kwargs)`; record methods take the ids as the first positional argument."""

    protocol = ""

    def __init__(self, config: OdooConfig):
        self.config = config
        self.calls = 0
        self._uid: int | None = None

    def _execute_kw(self, model: str, method: str, args: list, kwargs: dict) -> Any:
        raise NotImplementedError

    def _login(self) -> int:
        raise NotImplementedError

    def uid(self) -> int:
        if self._uid is None:
            self._uid = _session(self.config).get("uid")
        if self._uid is None:
            self._uid = self._login()
            _session(self.config)["uid"] = self._uid
        return self._uid

    def search_read(self, model, domain, fields, *, limit=None, order=None):
        _fields_required(fields)
        kwargs: dict = {"fields": list(fields)}
        if limit:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        return self._execute_kw(model, "search_read", [domain], kwargs) or []

    def read(self, model, ids, fields):
        _fields_required(fields)
        if not ids:
            return []
        return self._execute_kw(model, "read", [list(ids)], {"fields": list(fields)}) or []

    def create(self, model, values, *, context=None):
        # Positional: create is @api.model_create_multi, which looks at args[0] to answer an id or ids.
        result = self._execute_kw(model, "create", [values], {"context": context} if context else {})
        return result[0] if isinstance(result, list) else result

    def write(self, model, ids, values):
        self._execute_kw(model, "write", [list(ids), values], {})

    def call(self, model, method, ids, *, context=None):
        return self._execute_kw(model, method, [list(ids)], {"context": context} if context else {})

    def _login_refused(self) -> PermanentClientError:
        return PermanentClientError(
            _("Odoo refused the login: check the database, the user and the API key or password."), code="login"
        )


class XmlRpcTransport(_ExecuteKwTransport):
    protocol = "xmlrpc"

    def __init__(self, config: OdooConfig):
        super().__init__(config)
        scheme, host, port, path = _split_url(config.url)
        base = f"{scheme}://{host}:{port}{path}/xmlrpc/2"
        transport_class = _SafeTimeoutTransport if scheme == "https" else _TimeoutTransport
        self._common = xmlrpc.client.ServerProxy(f"{base}/common", transport=transport_class(config.timeout))
        self._object = xmlrpc.client.ServerProxy(f"{base}/object", transport=transport_class(config.timeout))

    def _rpc(self, fn, *args):
        self.calls += 1
        try:
            return fn(*args)
        except xmlrpc.client.Fault as fault:
            if _CANNOT_MARSHAL_NONE in str(fault.faultString):
                return None  # the method ran; Odoo only failed to encode its None result
            if fault.faultCode == 3:
                forget_session(self.config)  # the remembered user id is no longer accepted
            raise _fault_error(fault, self.config.secret) from None
        except xmlrpc.client.ProtocolError as error:
            raise _status_error(error.errcode, _clip(error.errmsg)) from None
        except ExpatError as error:
            raise PermanentClientError(
                _("The server at this URL does not answer as Odoo's XML-RPC API does."), code="xml"
            ) from error
        except (OSError, http.client.HTTPException) as error:
            raise _network_error(error) from None

    def version(self) -> ServerVersion:
        session = _session(self.config)
        if "version" not in session:
            session["version"] = _server_version(self._rpc(self._common.version))
        return session["version"]

    def _login(self) -> int:
        uid = self._rpc(self._common.authenticate, self.config.database, self.config.username, self.config.secret, {})
        if not uid:
            raise self._login_refused()
        return uid

    def _execute_kw(self, model, method, args, kwargs):
        uid = self.uid()
        return self._rpc(
            self._object.execute_kw, self.config.database, uid, self.config.secret, model, method, args, kwargs
        )

    def close(self) -> None:
        for proxy in (self._common, self._object):
            proxy("close")()


class JsonRpcTransport(_ExecuteKwTransport):
    """`/jsonrpc` through odoorpc's `ODOO` object, used only for `login` and `execute_kw` (never
    `browse()`, see the module docstring). odoorpc asks the server's version when it is built."""

    protocol = "jsonrpc"

    def __init__(self, config: OdooConfig):
        super().__init__(config)
        self._odoo = None

    def _guard(self, fn, *args):
        import odoorpc

        self.calls += 1
        try:
            return fn(*args)
        except odoorpc.error.RPCError as error:
            data = (error.info or {}).get("data", {}) if isinstance(error.info, dict) else {}
            name = data.get("name", "")
            message = _clip(data.get("message") or str(error), self.config.secret)
            if "AccessDenied" in name:
                raise self._login_refused() from None
            raise _odoo_error(name, message) from None
        except odoorpc.error.InternalError as error:
            raise PermanentClientError(_clip(str(error), self.config.secret), code="odoorpc") from None
        except urllib.error.HTTPError as error:
            raise _status_error(error.code, _clip(str(error.reason))) from None
        except urllib.error.URLError as error:
            raise _network_error(error.reason if isinstance(error.reason, BaseException) else error) from None
        except (OSError, http.client.HTTPException) as error:
            raise _network_error(error) from None
        except ValueError as error:  # not JSON: something else answers at this URL
            raise PermanentClientError(
                _("The server at this URL does not answer as Odoo's JSON-RPC API does."), code="json"
            ) from error

    def _connection(self):
        if self._odoo is None:
            import odoorpc

            scheme, host, port, path = _split_url(self.config.url)
            if path:
                raise PermanentClientError(_("odoorpc needs an Odoo URL without a path; use XML-RPC instead."))
            protocol = "jsonrpc+ssl" if scheme == "https" else "jsonrpc"
            known = _session(self.config).get("version")
            # Given the version, odoorpc skips asking the server for it.
            self._odoo = self._guard(
                odoorpc.ODOO, host, protocol, port, self.config.timeout, known.version if known else None
            )
        return self._odoo

    def version(self) -> ServerVersion:
        session = _session(self.config)
        if "version" not in session:
            session["version"] = _server_version({"server_version": self._connection().version})
        return session["version"]

    def uid(self) -> int:
        # odoorpc keeps the login on its ODOO object: each transport signs in once (login + context).
        if self._uid is None:
            self._uid = self._login()
        return self._uid

    def _login(self) -> int:
        odoo = self._connection()
        try:
            self._guard(odoo.login, self.config.database, self.config.username, self.config.secret)
        except PermanentClientError as error:
            raise self._login_refused() from error
        self.calls += 1  # odoorpc's login also reads the user's context
        return odoo.env.uid

    def _execute_kw(self, model, method, args, kwargs):
        self.uid()
        return self._guard(self._connection().execute_kw, model, method, args, kwargs)

    def close(self) -> None:
        self._odoo = None


class Json2Transport:
    """Odoo 19+: POST `/json/2/<model>/<method>` with named parameters, `Authorization: bearer <key>` and
    `X-Odoo-Database`. Errors come back as HTTP statuses with Odoo's exception in a JSON body."""

    protocol = "json2"

    def __init__(self, config: OdooConfig):
        self.config = config
        self.calls = 0
        scheme, host, port, path = _split_url(config.url)
        self._base = f"{scheme}://{host}:{port}{path}"

    def _request(self, path: str, body: dict | None) -> Any:
        headers = {"User-Agent": "crm-odoo-sync", "Accept": "application/json"}
        data = None
        if body is not None:
            headers.update(
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "Authorization": f"bearer {self.config.secret}",
                }
            )
            if self.config.database:
                headers["X-Odoo-Database"] = self.config.database
            data = json.dumps(body).encode()
        request = urllib.request.Request(self._base + path, data=data, headers=headers)  # noqa: S310 (http(s) only)
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise self._http_error(error) from None
        except urllib.error.URLError as error:
            raise _network_error(error.reason if isinstance(error.reason, BaseException) else error) from None
        except (OSError, http.client.HTTPException) as error:
            raise _network_error(error) from None
        try:
            return json.loads(payload) if payload else None
        except ValueError as error:
            raise PermanentClientError(
                _("The server at this URL does not answer as Odoo's JSON-2 API does."), code="json"
            ) from error

    def _http_error(self, error: urllib.error.HTTPError) -> TransientClientError | PermanentClientError:
        try:
            body = json.loads(error.read() or b"null")
        except (ValueError, OSError):
            body = None
        if isinstance(body, dict) and (body.get("message") or body.get("name")):
            name = str(body.get("name", ""))
            message = _clip(str(body.get("message") or name), self.config.secret)
            if error.code == 401 or "AccessDenied" in name or "Unauthorized" in name:
                return _status_error(401, message)
            if error.code in _RETRY_STATUSES and not name.startswith("odoo.exceptions."):
                return TransientClientError(message, code=name or str(error.code))
            return _odoo_error(name, message)
        if isinstance(body, str) and body.strip():
            # Odoo 19's dispatcher answers a UserError (422), AccessError (403), MissingError (404) with
            # the message as a JSON string, and anything unexpected with 500 "internal server error".
            message = _clip(body, self.config.secret)
            if error.code == 401:
                return _status_error(error.code, message)
            if error.code in _RETRY_STATUSES:
                return TransientClientError(message, code=str(error.code))
            return PermanentClientError(message, code=str(error.code))
        return _status_error(error.code, _clip(str(error.reason)))

    def _call(self, model: str, method: str, body: dict) -> Any:
        return self._request(f"/json/2/{model}/{method}", body)

    def version(self) -> ServerVersion:
        session = _session(self.config)
        if "version" not in session:
            session["version"] = _server_version(self._request("/web/version", None))
        return session["version"]

    def search_read(self, model, domain, fields, *, limit=None, order=None):
        _fields_required(fields)
        body: dict = {"domain": domain, "fields": list(fields)}
        if limit:
            body["limit"] = limit
        if order:
            body["order"] = order
        return self._call(model, "search_read", body) or []

    def read(self, model, ids, fields):
        _fields_required(fields)
        if not ids:
            return []
        return self._call(model, "read", {"ids": list(ids), "fields": list(fields)}) or []

    def create(self, model, values, *, context=None):
        body: dict = {"vals_list": [values]}
        if context:
            body["context"] = context
        result = self._call(model, "create", body)
        return result[0] if isinstance(result, list) else result

    def write(self, model, ids, values):
        self._call(model, "write", {"ids": list(ids), "vals": values})

    def call(self, model, method, ids, *, context=None):
        body: dict = {"ids": list(ids)}
        if context:
            body["context"] = context
        return self._call(model, method, body)

    def close(self) -> None:
        pass


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


TRANSPORTS = {"xmlrpc": XmlRpcTransport, "jsonrpc": JsonRpcTransport, "json2": Json2Transport}


def transport_for(config: OdooConfig) -> OdooTransport:
    if config.protocol not in TRANSPORTS:
        raise PermanentClientError(_("Unknown Odoo protocol %(protocol)s.") % {"protocol": config.protocol})
    return TRANSPORTS[config.protocol](config)


class OdooNotConfigured(PermanentClientError):
    pass


def odoo_config(tenant) -> OdooConfig:
    """The tenant's Odoo connection from the vault. OdooNotConfigured when a value is missing."""
    from tenants.models import Credential
    from tenants.vault import vault_get

    values = vault_get(tenant=tenant, kind=Credential.Kind.ODOO) or {}
    protocol = values.get("protocol") or "xmlrpc"
    needed = ["url", "api_key"] + ([] if protocol == "json2" else ["database", "username"])
    if any(not values.get(name) for name in needed):
        raise OdooNotConfigured(
            _("The Odoo connection is not configured: an owner sets it in Settings, Credentials."), code="config"
        )
    return OdooConfig(
        url=values["url"],
        database=values.get("database", ""),
        username=values.get("username", ""),
        secret=values["api_key"],
        protocol=protocol,
        timeout=float(getattr(settings, "ODOO_TIMEOUT", 20)),
    )


def get_odoo_client(tenant) -> OdooTransport:
    """The transport the tenant's credentials choose (protocol), ready to call."""
    return transport_for(odoo_config(tenant))
