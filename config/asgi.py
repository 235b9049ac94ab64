"""ASGI entry point: Django for HTTP, Channels for websockets (same origin, tenant from Host, session,
membership)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chats.webhooks.asgi import WebhookFastPath  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.asgi import SameOriginValidator, TenantWebsocketMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Provider webhook POSTs skip Django's sync middleware (chats/webhooks/asgi.py); the rest is Django.
        "http": WebhookFastPath(django_asgi_app),
        "websocket": SameOriginValidator(
            TenantWebsocketMiddleware(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Start-up objects out of the collector's full passes (core/gcfreeze.py): they cost 80-100 ms each here.
from core.gcfreeze import freeze_after_startup  # noqa: E402

freeze_after_startup("config.urls_tenants", "config.urls_public")
