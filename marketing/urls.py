from marketing.views import connection, hub

app_name = "marketing"

urlpatterns = [
    *hub.urlpatterns,
    *connection.urlpatterns,
]
