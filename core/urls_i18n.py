from django.urls import path

from core import views

app_name = "i18n"

urlpatterns = [
    path("set-language/", views.set_language, name="set-language"),
]
