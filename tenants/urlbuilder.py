"""Absolute URLs between the public site and tenant subdomains, on the scheme and port the user came in on."""

from django.conf import settings
from django.http.request import split_domain_port

from tenants.models import Tenant


def site_origin(host: str, request=None) -> str:
    if request is not None:
        # The port the browser put in Host (none: the scheme's default), not the one the server listens
        # on, which differs behind a proxy.
        scheme = request.scheme
        _domain, port = split_domain_port(request.get_host())
    else:
        scheme, port = settings.SITE_SCHEME, str(settings.SITE_PORT or "")
    default_port = {"http": "80", "https": "443"}[scheme]
    suffix = f":{port}" if port and port != default_port else ""
    return f"{scheme}://{host}{suffix}"


def tenant_url(tenant: Tenant, path: str = "/", request=None) -> str:
    from tenants.selectors import tenant_primary_domain

    return site_origin(tenant_primary_domain(tenant=tenant), request) + path


def public_url(path: str = "/", request=None) -> str:
    return site_origin(settings.BASE_DOMAIN, request) + path
