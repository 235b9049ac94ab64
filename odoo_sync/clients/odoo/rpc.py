"""The classic protocols: XML-RPC (stdlib xmlrpc.client) and JSON-RPC (odoorpc), both `execute_kw`."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from django.utils.translation import gettext as _

from core.errors import PermanentClientError
from odoo_sync.clients.odoo.base import (
    _CANNOT_MARSHAL_NONE,
    OdooConfig,
    ServerVersion,
    _clip,
    _fault_error,
    _fields_required,
    _network_error,
    _odoo_error,
    _server_version,
    _session,
    _split_url,
    _status_error,
    forget_session,
)


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
