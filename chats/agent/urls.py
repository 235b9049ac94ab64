from django.urls import path

from chats.agent import views

app_name = "chats_agent"

urlpatterns = [
    path("chats/agent/settings/", views.agent_settings, name="settings"),
    path("chats/agent/conversations/<int:conversation_id>/runs/", views.agent_runs, name="runs"),
]
