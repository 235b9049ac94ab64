import importlib
import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatsConfig(AppConfig):
    name = "chats"
    verbose_name = _("Chats")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The AI agent (chats/agent/) registers its inbound receiver when it is installed.
        if importlib.util.find_spec("chats.agent") and importlib.util.find_spec("chats.agent.receivers"):
            importlib.import_module("chats.agent.receivers")
