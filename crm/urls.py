"""The CRM pages' URLs (under `crm:`), by area; the dashboard is the tenant site's home."""

from django.urls import path

from crm.views import board, dashboard, detail, imports, leads, stages

app_name = "crm"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("analytics/", dashboard.analytics, name="analytics"),
    path("leads/", leads.lead_list_view, name="lead-list"),
    path("leads/export.csv", leads.lead_export_view, name="lead-export"),
    path("leads/bulk/", leads.lead_bulk_view, name="lead-bulk"),
    path("leads/new/", leads.lead_create_view, name="lead-create"),
    path("leads/<int:pk>/edit/", leads.lead_edit_view, name="lead-edit"),
    path("leads/import/", imports.import_upload_view, name="lead-import"),
    path("leads/import/<int:pk>/", imports.import_detail_view, name="import-detail"),
    path("leads/import/<int:pk>/confirm/", imports.import_confirm_view, name="import-confirm"),
    path("leads/import/<int:pk>/discard/", imports.import_discard_view, name="import-discard"),
    path("leads/<int:pk>/", detail.lead_detail_view, name="lead-detail"),
    path("leads/<int:pk>/timeline/", detail.lead_timeline_view, name="lead-timeline"),
    path("leads/<int:pk>/stage/", detail.lead_stage_view, name="lead-stage"),
    path("leads/<int:pk>/assign/", detail.lead_assign_view, name="lead-assign"),
    path("leads/<int:pk>/notes/", detail.lead_note_view, name="lead-note"),
    path("leads/<int:pk>/calls/", detail.lead_call_view, name="lead-call"),
    path("leads/<int:pk>/documents/", detail.lead_document_upload_view, name="lead-document-upload"),
    path("leads/<int:pk>/documents/<int:document_id>/", detail.lead_document_view, name="lead-document"),
    path("pipeline/", board.board, name="board"),
    path("pipeline/move/", board.board_move, name="board-move"),
    path("pipeline/columns/", board.board_columns, name="board-columns"),
    path("pipeline/column/<int:stage_id>/", board.board_column, name="board-column"),
    path("pipeline/stages/", stages.stage_list, name="stage-list"),
    path("pipeline/stages/add/", stages.stage_add, name="stage-add"),
    path("pipeline/stages/reorder/", stages.stage_reorder_view, name="stage-reorder"),
    path("pipeline/stages/<int:pk>/rename/", stages.stage_rename_view, name="stage-rename"),
    path("pipeline/stages/<int:pk>/move/", stages.stage_move, name="stage-move"),
    path("pipeline/stages/<int:pk>/delete/", stages.stage_delete_view, name="stage-delete"),
]
