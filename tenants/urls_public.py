from django.urls import path

from chats.webhooks import views as webhooks
from tenants.views import auth, pages

app_name = "tenants"

urlpatterns = [
    path("", pages.landing, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("register/", auth.register_view, name="register"),
    path("companies/", auth.tenant_chooser, name="chooser"),
    path("switch/<slug:slug>/", auth.switch_tenant, name="switch"),
    path("password-reset/", auth.password_reset, name="password-reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/done/", auth.password_reset_complete, name="password-reset-complete"),
    # Provider webhooks (the company is read from the receiving number, not from the host).
    path("webhooks/whatsapp/cloud/", webhooks.cloud_webhook, name="webhook-whatsapp-cloud"),
    path("webhooks/whatsapp/ycloud/", webhooks.ycloud_webhook, name="webhook-whatsapp-ycloud"),
]
