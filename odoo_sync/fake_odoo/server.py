"""The fake Odoo on loopback: a small threaded HTTP server in front of a `FakeOdoo` store, speaking
the three protocols as Odoo does on the wire.

- XML-RPC `/xmlrpc/2/common` (version, authenticate, login) and `/xmlrpc/2/object` (execute_kw):
  Odoo exceptions become Faults with Odoo's int codes (2 UserError, 3 AccessDenied, 4 AccessError,
  1 anything else with its traceback); a None result becomes the "cannot marshal None" Fault.
- JSON-RPC `/jsonrpc` (services common and object) and `/web/webclient/version_info`, as odoorpc uses
  them; errors as `{"error": {"code": 200, "message": "Odoo Server Error", "data": {...}}}`.
- JSON-2 `/json/2/<model>/<method>` (only when the version is 19 or later) with a bearer key, named
  parameters and HTTP status codes for errors; `GET /web/version`.

Faults (`store.faults`) apply to every protocol: down (503), slow, fail, crash after a method ran.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo_sync.fake_odoo.base import AccessDenied, OdooError
from odoo_sync.fake_odoo.store import FakeOdoo

_XMLRPC_CODES = {"user": 2, "missing": 2, "denied": 3, "access": 4}
_JSON2_STATUS = {"user": 422, "missing": 404, "access": 403, "denied": 401}
_JSON2_PATH = re.compile(r"^/json/2/(?P<model>[\w.]+)/(?P<method>\w+)$")


class _Dropped(Exception):
    """The method ran; the connection is cut before any answer (a crash between Odoo and us)."""


def _traceback_text(error: BaseException) -> str:
    name = error.name if isinstance(error, OdooError) else f"builtins.{type(error).__name__}"
    message = error.message if isinstance(error, OdooError) else str(error)
    return (
        f'Traceback (most recent call last):\n  File "odoo/service/model.py", line 1, in execute\n{name}: {message}\n'
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeOdooServer

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
        # delayed ACK add ~40 ms to every call on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # quiet: tests read the store, not the log
        pass

    @property
    def store(self) -> FakeOdoo:
        return self.server.store

    # ---- plumbing ----------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _gate(self) -> bool:
        """Applies `down` and `slow`. False when the request was answered already."""
        self.server.requests += 1
        if self.store.faults.slow:
            time.sleep(self.store.faults.slow)
        if self.store.faults.down:
            self._body()
            self._send(503, b"<html><body>503 Service Unavailable</body></html>", "text/html")
            return False
        return True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    def _execute(self, model: str, method: str, args: list, kwargs: dict):
        result = self.store.execute(model, method, args, kwargs)
        if self.store.take_crash(f"{model}.{method}"):
            raise _Dropped
        return result

    # ---- routes ------------------------------------------------------------------------------
    def do_GET(self):
        if not self._gate():
            return
        if self.path == "/web/version" and self.store.major >= 19:
            self._json(200, self._version())
            return
        self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")

    def do_POST(self):
        if not self._gate():
            return
        try:
            if self.path.startswith("/xmlrpc/2/"):
                self._xmlrpc(self.path.removeprefix("/xmlrpc/2/"))
            elif self.path == "/jsonrpc":
                self._jsonrpc()
            elif self.path == "/web/webclient/version_info":
                request = json.loads(self._body() or b"{}")
                self._json(200, {"jsonrpc": "2.0", "id": request.get("id"), "result": self._version()})
            elif (match := _JSON2_PATH.match(self.path)) and self.store.major >= 19:
                self._json2(match["model"], match["method"])
            else:
                self._body()
                self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
        except _Dropped:
            self._drop()

    def _version(self) -> dict:
        major, minor = [*self.store.version.split("."), "0"][:2]
        info = [int(major), int(minor.split("+")[0] or 0), 0, "final", 0, ""]
        return {
            "server_version": self.store.version,
            "server_version_info": info,
            "server_serie": self.store.version,
            "protocol_version": 1,
            "version": self.store.version,
            "version_info": info,
        }

    # ---- XML-RPC -----------------------------------------------------------------------------
    def _xmlrpc(self, service: str) -> None:
        try:
            params, method = xmlrpc.client.loads(self._body())
            result = self._dispatch(service, method, list(params))
            body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except _Dropped:
            raise
        except OdooError as error:
            code = _XMLRPC_CODES.get(error.kind)
            fault = xmlrpc.client.Fault(code, error.message) if code else xmlrpc.client.Fault(1, _traceback_text(error))
            body = xmlrpc.client.dumps(fault, allow_none=False)
        except Exception as error:  # what Odoo does with any other exception (TypeError for None included)
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(1, _traceback_text(error)), allow_none=False)
        self._send(200, body.encode(), "text/xml")

    def _dispatch(self, service: str, method: str, params: list):
        if service == "common":
            if method == "version":
                return self._version()
            if method == "authenticate":
                return self.store.authenticate(*params[:3])
            if method == "login":
                return self.store.authenticate(*params[:3])
            raise OdooError(f"unknown common method {method}")
        if service == "object":
            database, uid, secret, model, name, *rest = params
            if self.store.authenticate(database, self.store.login, secret) != uid:
                raise AccessDenied("Access Denied")
            if method == "execute_kw":
                args = rest[0] if rest else []
                kwargs = rest[1] if len(rest) > 1 else {}
                return self._execute(model, name, list(args), dict(kwargs))
            if method == "execute":
                return self._execute(model, name, list(rest), {})
            raise OdooError(f"unknown object method {method}")
        raise OdooError(f"unknown service {service}")

    # ---- JSON-RPC ----------------------------------------------------------------------------
    def _jsonrpc(self) -> None:
        request = json.loads(self._body() or b"{}")
        params = request.get("params") or {}
        try:
            result = self._dispatch(params.get("service", ""), params.get("method", ""), list(params.get("args") or []))
            payload = {"jsonrpc": "2.0", "id": request.get("id"), "result": result}
        except _Dropped:
            raise
        except Exception as error:
            name = error.name if isinstance(error, OdooError) else f"builtins.{type(error).__name__}"
            message = error.message if isinstance(error, OdooError) else str(error)
            payload = {
                "jsonrpc": "2.0",
                "id": request.get("id"),
                "error": {
                    "code": 200,
                    "message": "Odoo Server Error",
                    "data": {
                        "name": name,
                        "debug": _traceback_text(error),
                        "message": message,
                        "arguments": [message],
                        "context": {},
                    },
                },
            }
        self._json(200, payload)

    # ---- JSON-2 ------------------------------------------------------------------------------
    def _json2(self, model: str, method: str) -> None:
        raw = self._body()
        authorization = self.headers.get("Authorization", "")
        scheme, _sep, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not self.store.check_key(key.strip()):
            self._json(
                401,
                {
                    "name": "werkzeug.exceptions.Unauthorized",
                    "message": "Invalid apikey",
                    "arguments": ["Invalid apikey", 401],
                    "context": {},
                    "debug": "",
                },
            )
            return
        database = self.headers.get("X-Odoo-Database")
        if database and database != self.store.database:
            self._json(404, f"database {database!r} not found")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            self._json(400, f"could not parse the body as json: {error}")
            return
        ids = body.pop("ids", None) or []
        context = body.pop("context", None) or {}
        kwargs = dict(body, context=context) if context else dict(body)
        args = [ids] if ids else []
        if model not in self.store.tables:
            self._json(404, f"the model {model!r} does not exist")
            return
        try:
            result = self._execute(model, method, args, kwargs)
        except _Dropped:
            raise
        except OdooError as error:
            status = _JSON2_STATUS.get(error.kind)
            self._json(status or 500, error.message if status else "internal server error")
            return
        except AttributeError as error:
            self._json(404, str(error))
            return
        except (TypeError, ValueError, KeyError) as error:
            self._json(422, str(error))
            return
        self._json(200, result)


class FakeOdooServer(ThreadingHTTPServer):
    """`with FakeOdooServer(FakeOdoo()) as server: server.url` serves on a free loopback port."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, store: FakeOdoo | None = None, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.store = store or FakeOdoo()
        self.requests = 0
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeOdooServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fake-odoo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOdooServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _main() -> None:  # python -m odoo_sync.fake_odoo.server [port] [version]: for a demo or a manual check
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8069
    version = sys.argv[2] if len(sys.argv) > 2 else "17.0"
    server = FakeOdooServer(FakeOdoo(version=version), port=port)
    print(f"fake Odoo {version} on {server.url}: database odoo, login admin, key admin-api-key", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    _main()
