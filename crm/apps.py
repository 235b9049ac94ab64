from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save
        from django_tenants.signals import post_schema_sync

        from crm.rollups import tenant_zone_sync
        from tenants.models import Tenant

        # The rollups count days in the company's time zone: a new company (its schema is a copy of the
        # template's) and a changed time zone get theirs.
        post_save.connect(tenant_zone_sync, sender=Tenant, dispatch_uid="crm.rollup_zone.saved")
        post_schema_sync.connect(tenant_zone_sync, sender=Tenant, dispatch_uid="crm.rollup_zone.created")
