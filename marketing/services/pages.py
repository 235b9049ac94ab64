"""The Facebook pages whose lead ads arrive in this company (the public registry tenants.MetaPage)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant
from tenants.models import MetaPage


def page_add(*, tenant, actor, page_id: str, name: str = "") -> MetaPage:
    check_tenant(tenant)
    try:
        with transaction.atomic():
            page = MetaPage.objects.create(tenant=tenant, page_id=page_id, name=name[:255])
    except IntegrityError as error:
        raise ApplicationError(_("This page is already linked to a company.")) from error
    audit_log(action="marketing.page_add", actor=actor, obj=page)
    return page


def page_remove(*, tenant, actor, pk: int) -> None:
    check_tenant(tenant)
    page = MetaPage.objects.filter(tenant=tenant, pk=pk).first()
    if page is None:
        return
    audit_log(action="marketing.page_remove", actor=actor, obj=page)
    page.delete()
