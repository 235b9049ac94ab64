from django.urls import path

from chats import views

app_name = "chats"

urlpatterns = [
    path("chats/", views.inbox, name="inbox"),
    path("chats/<int:pk>/", views.conversation_view, name="conversation"),
    path("chats/<int:pk>/older/", views.older, name="older"),
    path("chats/<int:pk>/send/", views.send, name="send"),
    path("chats/<int:pk>/take-over/", views.take_over, name="take-over"),
    path("chats/<int:pk>/release/", views.release, name="release"),
    path("chats/<int:pk>/stage/", views.move_stage, name="move-stage"),
    path("chats/messages/<int:pk>/retry/", views.message_retry, name="message-retry"),
    path("chats/media/<int:pk>/", views.media, name="media"),
]
