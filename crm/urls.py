from crm.views import board, dashboard, detail, imports, lead_page, leads, lost_reasons, merge, stages

app_name = "crm"

urlpatterns = [
    *dashboard.urlpatterns,
    *leads.urlpatterns,
    *imports.urlpatterns,
    *detail.urlpatterns,
    *lead_page.urlpatterns,
    *merge.urlpatterns,
    *board.urlpatterns,
    *stages.urlpatterns,
    *lost_reasons.urlpatterns,
]
