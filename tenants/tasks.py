"""Tenants background tasks: entry points that take ids and call one service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from tenants.models import Tenant, User


@shared_task(autoretry_for=(OSError, SMTPException), retry_backoff=True, max_retries=5, acks_late=True)
def registration_existing_notice_task(user_id: int, tenant_id: int) -> bool:
    """Emails the owner of an existing account that someone registered with their address. Answers whether
    a mail was sent (an account or company gone since is skipped)."""
    from tenants.services import registration_existing_notice_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    tenant = Tenant.objects.exclude(schema_name="public").filter(pk=tenant_id).first()
    if user is None or tenant is None:
        return False
    registration_existing_notice_send(user=user, tenant=tenant)
    return True


@shared_task(ignore_result=True)
def spares_refill_task() -> dict | None:
    """Keeps TENANT_SPARE_SCHEMAS current spare schemas ready for new companies (tenants.schema_spares).
    One refill at a time: a request while one runs is dropped (that one will make what is missing)."""
    from django.core.cache import cache

    from tenants.schema_spares import spares_refill
    from tenants.schema_template import template_schema

    if not cache.add(SPARES_LOCK, 1, timeout=SPARES_LOCK_SECONDS):
        return None
    try:
        return spares_refill(source=template_schema())
    finally:
        cache.delete(SPARES_LOCK)


SPARES_LOCK = "tenants:spares-refill"
SPARES_LOCK_SECONDS = 600
