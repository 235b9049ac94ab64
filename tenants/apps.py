from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants and people")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenants import (
            host_cache,  # noqa: F401 - connects the cache invalidation signals
            signals,
        )

        signals.connect()
