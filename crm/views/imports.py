"""CSV import of leads: upload, preview with per-row errors, confirm, progress while a worker runs it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from crm.csvfiles import IMPORT_FIELDS
from crm.forms.imports import ImportUploadForm
from crm.models import ImportJob
from crm.selectors.imports import import_preview, visible_import_jobs
from crm.services.imports import import_job_confirm, import_job_create, import_job_discard
from tenants.access import roles_required
from tenants.models import Role


def _job_or_404(request, pk: int) -> ImportJob:
    job = visible_import_jobs(membership=request.membership).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


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
    context = {"form": form, "jobs": jobs, "fields": [str(label) for label in IMPORT_FIELDS.values()]}
    return TemplateResponse(request, "crm/import_upload.html", context)


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def import_detail_view(request, pk: int):
    """The preview while waiting for confirmation; afterwards the progress, polled every second by htmx
    until the job is finished, then the summary and the rows that were not imported."""
    job = _job_or_404(request, pk)
    context = {"job": job, "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)}
    if job.status == ImportJob.Status.PREVIEW:
        context["preview"] = import_preview(job=job)
    partial = request.htmx and not request.htmx.boosted
    return TemplateResponse(
        request, "crm/import_detail.html#import-progress" if partial else "crm/import_detail.html", context
    )


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
