from django.apps import AppConfig


class OdooSyncConfig(AppConfig):
    name = "odoo_sync"
    default_auto_field = "django.db.models.BigAutoField"
