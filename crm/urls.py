from crm.views import board, dashboard, detail, imports, leads

app_name = "crm"

urlpatterns = [
    *dashboard.urlpatterns,
    *leads.urlpatterns,
    *imports.urlpatterns,
    *detail.urlpatterns,
    *board.urlpatterns,
]
