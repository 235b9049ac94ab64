"""The company of a host name, cached in Redis so that a request costs no database query to find its
tenant, whatever the number of companies. Entries live a few minutes and are dropped as soon as a
company or one of its domains changes (signals below: the admin, services and commands all save models)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from tenants.models import Domain, Tenant

_MISSING = "missing"


def _ttl() -> int:
    # The test settings turn it off (0): tests change companies with queryset updates, which send no signal.
    return getattr(settings, "TENANT_HOST_CACHE_SECONDS", 300)


def _key(host: str) -> str:
    return f"tenant-by-host:{host}"


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant whose domain is `host` (None when no company has it)."""
    host = (host or "").lower()
    if not _ttl():
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        return domain.tenant if domain is not None else None
    cached = cache.get(_key(host))
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    tenant = domain.tenant if domain is not None else None
    cache.set(_key(host), tenant if tenant is not None else _MISSING, _ttl())
    return tenant


def forget_host(host: str) -> None:
    cache.delete(_key(host.lower()))


@receiver(pre_save, sender=Domain)
def _domain_renamed(sender, instance: Domain, **kwargs) -> None:
    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old:
            forget_host(old)


@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def _domain_changed(sender, instance: Domain, **kwargs) -> None:
    forget_host(instance.domain)


@receiver(post_save, sender=Tenant)
@receiver(post_delete, sender=Tenant)
def _tenant_changed(sender, instance: Tenant, **kwargs) -> None:
    for host in Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True):
        forget_host(host)
