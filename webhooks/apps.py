from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Raw deliveries of provider webhooks, kept in the public schema: they are stored before the
    company they belong to is known (it is read from the payload by the worker)."""

    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"
