from odoo_sync.views import connection, documents, pages

app_name = "odoo_sync"

urlpatterns = [
    *pages.urlpatterns,
    *documents.urlpatterns,
    *connection.urlpatterns,
]
