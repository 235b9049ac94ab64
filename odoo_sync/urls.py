from odoo_sync.views import connection

app_name = "odoo_sync"

urlpatterns = [
    *connection.urlpatterns,
]
