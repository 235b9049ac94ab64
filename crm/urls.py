"""The CRM pages' URLs (under `crm:`), by area; the dashboard is the tenant site's home."""

from django.urls import path

from crm.views import board, dashboard, detail, imports, lead_page, leads, lost_reasons, merge, stages

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
    path("leads/import/<int:pk>/mapping/", imports.import_mapping_view, name="import-mapping"),
    path("leads/import/<int:pk>/rejected.csv", imports.import_rejected_view, name="import-rejected"),
    path("leads/<int:pk>/", detail.lead_detail_view, name="lead-detail"),
    path("leads/<int:pk>/timeline/", detail.lead_timeline_view, name="lead-timeline"),
    path("leads/<int:pk>/stage/", detail.lead_stage_view, name="lead-stage"),
    path("leads/<int:pk>/assign/", detail.lead_assign_view, name="lead-assign"),
    path("leads/<int:pk>/notes/", detail.lead_note_view, name="lead-note"),
    path("leads/<int:pk>/calls/", detail.lead_call_view, name="lead-call"),
    path("leads/<int:pk>/documents/", detail.lead_document_upload_view, name="lead-document-upload"),
    path("leads/<int:pk>/documents/<int:document_id>/", detail.lead_document_view, name="lead-document"),
    path("leads/<int:pk>/next-step/", lead_page.lead_next_step_view, name="lead-next-step"),
    path("leads/<int:pk>/notes/<int:entry_id>/edit/", lead_page.lead_note_edit_view, name="lead-note-edit"),
    path("leads/<int:pk>/notes/<int:entry_id>/delete/", lead_page.lead_note_delete_view, name="lead-note-delete"),
    path("leads/<int:pk>/merge/", merge.lead_merge_choose_view, name="lead-merge-choose"),
    path("leads/<int:pk>/merge/<int:other>/", merge.lead_merge_view, name="lead-merge"),
    path("leads/<int:pk>/delete/", merge.lead_delete_view, name="lead-delete"),
    path("leads/<int:pk>/erase/", merge.lead_erase_view, name="lead-erase"),
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
    path("pipeline/lost-reasons/", lost_reasons.lost_reason_list, name="lost-reasons"),
    path("pipeline/lost-reasons/add/", lost_reasons.lost_reason_add, name="lost-reason-add"),
    path("pipeline/lost-reasons/<int:pk>/rename/", lost_reasons.lost_reason_edit, name="lost-reason-rename"),
    path("pipeline/lost-reasons/<int:pk>/toggle/", lost_reasons.lost_reason_toggle, name="lost-reason-toggle"),
    path("pipeline/lost-reasons/<int:pk>/move/", lost_reasons.lost_reason_move_view, name="lost-reason-move"),
    path("pipeline/lost-reasons/<int:pk>/delete/", lost_reasons.lost_reason_delete_view, name="lost-reason-delete"),
]
