"""Request id, and the language and time zone a page is served in."""

import logging
import time
import uuid
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from core.context import client_ip, client_ip_var, request_id_var, valid_request_id

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
access_logger = logging.getLogger("core.access")


class RequestIdMiddleware:
    """Gives every request an id (a sane incoming X-Request-ID is kept), for logs, audit and the response,
    and writes one access-log line per request (the path without its query string, which may hold tokens)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex
        id_token = request_id_var.set(request.request_id)
        ip_token = client_ip_var.set(client_ip(request))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            # Health probes every few seconds would drown the log; a failing one is still written.
            if not (request.path == "/health" and response.status_code == 200):
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "host": request.META.get("HTTP_HOST", ""),
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
        finally:
            request_id_var.reset(id_token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request.request_id
        return response


def language_for(request) -> str:
    """A signed-in user's own choice, else (anonymous) the language cookie, else the tenant's, else (on the
    public site) the browser's Accept-Language, else the default."""
    supported = {code for code, _name in settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    cookie = request.COOKIES.get(LANGUAGE_COOKIE)
    if (user is None or not user.is_authenticated) and cookie in supported:
        return cookie
    tenant = getattr(request, "tenant", None)
    if tenant is not None and tenant.schema_name != "public" and tenant.language in supported:
        return tenant.language
    if cookie in supported:
        return cookie
    # Only the public site reads the browser: a company's pages speak the company's language.
    return translation.get_language_from_request(request)


def timezone_for(request) -> zoneinfo.ZoneInfo | None:
    """The tenant's time zone on its pages (dates shown and date filters read); None elsewhere (UTC)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public" or not tenant.timezone:
        return None
    try:
        return zoneinfo.ZoneInfo(tenant.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        zone = timezone_for(request)
        if zone is not None:
            timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            patch_vary_headers(response, ("Accept-Language",))
        return response


ADMIN_PREFIX = "/admin/"


class ContentSecurityPolicyMiddleware:
    """Sends CONTENT_SECURITY_POLICY on every response: scripts and styles from this site's own files only, so
    markup that slipped into a page cannot run script. connect-src also names the page's own websocket
    origin (ws:// or wss:// on the same host) for the live updates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request)
        return response


def content_security_policy(request) -> str:
    directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
    if request.path.startswith(ADMIN_PREFIX):
        # Django's and django-tenants' admin templates carry inline styles (never inline script).
        directives.setdefault("style-src", ["'self'"]).append("'unsafe-inline'")
    socket = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    directives.setdefault("connect-src", ["'self'"]).append(socket)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
