from crm.views import board, dashboard, detail, documents, imports, leads, products, stages

app_name = "crm"

urlpatterns = [
    *dashboard.urlpatterns,
    *leads.urlpatterns,
    *imports.urlpatterns,
    *detail.urlpatterns,
    *board.urlpatterns,
    *stages.urlpatterns,
    *documents.urlpatterns,
    *products.urlpatterns,
]
