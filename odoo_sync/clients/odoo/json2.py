"""Odoo 19's JSON-2 API: `/json/2/<model>/<method>` with a bearer API key."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

from django.utils.translation import gettext as _

from core.errors import PermanentClientError, TransientClientError
from odoo_sync.clients.odoo.base import (
    _RETRY_STATUSES,
    OdooConfig,
    ServerVersion,
    _clip,
    _fields_required,
    _network_error,
    _odoo_error,
    _server_version,
    _session,
    _split_url,
    _status_error,
)


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
