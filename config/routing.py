"""Websocket routes. Each app's consumers join `<schema>.<topic>` groups."""

from django.urls import path, re_path

from agenda.consumers import AgendaConsumer
from chats.consumers import ChatsConsumer
from core.asgi import NotFoundConsumer
from core.consumers import NotificationsConsumer
from crm.consumers import PipelineConsumer
from odoo_sync.consumers import DocumentsConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationsConsumer.as_asgi()),
    path("ws/pipeline/", PipelineConsumer.as_asgi()),
    path("ws/agenda/", AgendaConsumer.as_asgi()),
    path("ws/chats/", ChatsConsumer.as_asgi()),
    path("ws/documents/", DocumentsConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),  # last: any other path closes cleanly
]
