from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("General")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.db_backend import recorder

        recorder.install()
