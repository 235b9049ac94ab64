"""Attaches the signed-in user's active membership in the host's tenant (or None) to the request."""

from django_tenants.middleware.main import TenantMainMiddleware

from tenants.selectors import active_membership


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != "public" and request.user.is_authenticated:
            request.membership = active_membership(user=request.user, tenant=tenant)
        return self.get_response(request)


class CachedTenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware with the host -> tenant lookup served from the cache (host_cache)."""

    def get_tenant(self, domain_model, hostname):
        from tenants.host_cache import tenant_for_host

        tenant = tenant_for_host(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist
        return tenant
