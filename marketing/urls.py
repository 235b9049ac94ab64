from marketing.views import capture, connection, hub

app_name = "marketing"

urlpatterns = [
    *hub.urlpatterns,
    *connection.urlpatterns,
    *capture.urlpatterns,
]
