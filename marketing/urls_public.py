from marketing.views.public import app_name, urlpatterns  # noqa: F401
