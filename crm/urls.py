from crm.views import board, dashboard, detail, imports, leads, merge, stages

app_name = "crm"

urlpatterns = [
    *dashboard.urlpatterns,
    *leads.urlpatterns,
    *imports.urlpatterns,
    *detail.urlpatterns,
    *merge.urlpatterns,
    *board.urlpatterns,
    *stages.urlpatterns,
]
