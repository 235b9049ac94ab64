from marketing.views import capture, connection, hub, messaging

app_name = "marketing"

urlpatterns = [
    *hub.urlpatterns,
    *connection.urlpatterns,
    *capture.urlpatterns,
    *messaging.urlpatterns,
]
