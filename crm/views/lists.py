"""The lead list's tools: saved views (save, delete) and the column chooser. Each answers the htmx request
with the tools re-rendered and a toast, or redirects back to the list without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from crm.forms.leads import SavedViewForm
from crm.models import SavedView
from crm.services.lists import clean_view_query, list_columns_set, saved_view_create, saved_view_delete
from crm.views.leads import list_tools_context
from tenants.access import roles_required
from tenants.models import Role


def _tools(request, status: int = 200, **extra):
    if not request.htmx:
        return redirect("crm:lead-list")
    context = {**list_tools_context(request), **extra}
    return TemplateResponse(request, "crm/lead_list.html#list-tools", context, status=status)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def saved_view_create_view(request):
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the view a name."))
        return _tools(request, status=422)
    data = form.cleaned_data
    # With JavaScript the list's filter fields come along (they may have changed without a reload);
    # without it, the query string the page was rendered with.
    query = clean_view_query(request.POST.urlencode()) or data["query"]
    try:
        view = saved_view_create(membership=request.membership, name=data["name"], query=query, shared=data["shared"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return _tools(request, status=422)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _tools(request)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def saved_view_delete_view(request, pk: int):
    """A view someone may not delete (another seller's, or a shared one for a seller) is not found."""
    view = SavedView.objects.filter(pk=pk).first()
    if view is None or (
        view.user_id != request.user.pk and not (view.shared and request.membership.role == Role.OWNER)
    ):
        raise Http404
    saved_view_delete(view=view, membership=request.membership)
    messages.success(request, _("View deleted."))
    return _tools(request)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def list_columns_view(request):
    list_columns_set(user=request.user, columns=request.POST.getlist("columns"))
    if request.htmx:
        # The table changes with the columns: reload the list where the person is.
        from django_htmx.http import HttpResponseClientRefresh

        return HttpResponseClientRefresh()
    return redirect("crm:lead-list")
