from django.urls import path

from chats import views, views_settings, views_simulator

app_name = "chats"

urlpatterns = [
    path("chats/", views.inbox, name="inbox"),
    path("chats/<int:pk>/", views.conversation_view, name="conversation"),
    path("chats/<int:pk>/older/", views.older, name="older"),
    path("chats/<int:pk>/catch-up/", views.catch_up, name="catch-up"),
    path("chats/<int:pk>/send/", views.send, name="send"),
    path("chats/<int:pk>/take-over/", views.take_over, name="take-over"),
    path("chats/<int:pk>/release/", views.release, name="release"),
    path("chats/<int:pk>/stage/", views.move_stage, name="move-stage"),
    path("chats/messages/<int:pk>/retry/", views.message_retry, name="message-retry"),
    path("chats/media/<int:pk>/", views.media, name="media"),
    path("chats/settings/", views_settings.settings_page, name="settings"),
    path("chats/settings/connect/<slug:provider>/", views_settings.connect, name="connect"),
    path("chats/settings/disconnect/<slug:provider>/", views_settings.disconnect, name="disconnect"),
    path("chats/settings/test/", views_settings.test_message, name="test-message"),
    path("chats/settings/quick-replies/", views_settings.quick_reply_add, name="quick-reply-add"),
    path("chats/settings/quick-replies/<int:pk>/delete/", views_settings.quick_reply_delete, name="quick-reply-delete"),
    path("chats/simulator/", views_simulator.simulator_page, name="simulator"),
    path("chats/simulator/thread/", views_simulator.simulator_thread, name="simulator-thread"),
]
