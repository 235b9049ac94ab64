"""CSV import of leads: upload, the mapping step with a preview of every row's fate, confirm, progress
while a worker runs it, and the rejected rows as a CSV to fix and re-import."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from crm.forms.imports import ImportUploadForm
from crm.importing.columns import FIELDS
from crm.importing.forms import ImportMappingForm
from crm.importing.rejected import rejected_csv
from crm.models import ImportJob
from crm.selectors.imports import import_preview, visible_import_jobs
from crm.selectors.leads import assignable_members
from crm.services.imports import (
    import_job_confirm,
    import_job_create,
    import_job_discard,
    import_job_set_mapping,
)
from tenants.access import roles_required
from tenants.models import Role


def _job_or_404(request, pk: int) -> ImportJob:
    job = visible_import_jobs(membership=request.membership).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _mapping_form(request, job: ImportJob, data=None) -> ImportMappingForm:
    members = assignable_members(tenant=request.tenant) if request.membership.role == Role.OWNER else None
    return ImportMappingForm(data, job=job, members=members)


def _preview_context(job: ImportJob, form: ImportMappingForm) -> dict:
    preview = import_preview(job=job)
    return {
        "preview": preview,
        "mapping_form": form,
        "mapping_rows": list(zip(preview.columns, form.column_fields(), strict=False)),
    }


@roles_required(Role.OWNER, Role.SELLER)
@require_http_methods(["GET", "POST"])
def import_upload_view(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(name=upload.name, data=upload.read(), actor=request.user)
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            return redirect("crm:import-detail", pk=job.pk)
    jobs = visible_import_jobs(membership=request.membership)[:10]
    context = {"form": form, "jobs": jobs, "fields": [str(label) for label in FIELDS.values()]}
    return TemplateResponse(request, "crm/import_upload.html", context)


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def import_detail_view(request, pk: int):
    """The mapping step and preview while waiting for confirmation; afterwards the progress, polled every
    second by htmx until the job is finished, then the summary and the rows that were not imported."""
    job = _job_or_404(request, pk)
    context = {"job": job, "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)}
    if job.status == ImportJob.Status.PREVIEW:
        context.update(_preview_context(job, _mapping_form(request, job)))
    partial = request.htmx and not request.htmx.boosted
    return TemplateResponse(
        request, "crm/import_detail.html#import-progress" if partial else "crm/import_detail.html", context
    )


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def import_mapping_view(request, pk: int):
    """Saves the mapping step and answers with the preview read with it (htmx), or the page."""
    job = _job_or_404(request, pk)
    form = _mapping_form(request, job, request.POST)
    status = 200
    if form.is_valid():
        try:
            job = import_job_set_mapping(job=job, actor=request.user, **form.service_kwargs())
        except ApplicationError as error:
            form.add_error(None, error.message)
            status = 422
        else:
            form = _mapping_form(request, job)
    else:
        status = 422
    if not request.htmx and status == 200:
        return redirect("crm:import-detail", pk=job.pk)
    context = {"job": job, "running": False, **_preview_context(job, form)}
    template = "crm/import_detail.html#import-preview" if request.htmx else "crm/import_detail.html"
    return TemplateResponse(request, template, context, status=status)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def import_confirm_view(request, pk: int):
    job = _job_or_404(request, pk)
    try:
        import_job_confirm(job=job, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("crm:import-detail", pk=job.pk)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def import_discard_view(request, pk: int):
    job = _job_or_404(request, pk)
    try:
        import_job_discard(job=job, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("crm:import-detail", pk=job.pk)
    messages.success(request, _("The upload was discarded."))
    return redirect("crm:lead-import")


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def import_rejected_view(request, pk: int):
    """The rows that were not imported, in the file's own columns plus why, to fix and import again."""
    job = _job_or_404(request, pk)
    if job.status not in (ImportJob.Status.DONE, ImportJob.Status.FAILED) or not job.error_count:
        raise Http404
    try:
        body = "".join(rejected_csv(job=job))
    except (ApplicationError, OSError):
        raise Http404 from None
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stem = job.original_name.rsplit(".", 1)[0].replace('"', "")[:80] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected.csv"'
    return response
