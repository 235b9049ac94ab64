"""WhatsApp templates (sync, preview, variables, send to one lead or a filtered list) and automation rules
(editor, dry-run preview, firing log). Owners and marketing."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.errors import ApplicationError
from crm.models import Lead, Stage
from marketing.adapters.chats import sending_available
from marketing.forms import RuleForm, TemplateSendForm, TemplateSyncForm
from marketing.models import AutomationRule, RuleFiring, TemplateBatch, WhatsAppTemplate
from marketing.services import templates as services
from marketing.services.rules import rule_preview, rule_save
from marketing.views.common import MARKETERS, seller_choices
from tenants.access import roles_required
from tenants.models import Role


@roles_required(*MARKETERS)
@require_http_methods(["GET", "POST"])
def template_list_view(request):
    form = TemplateSyncForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.templates_sync(
                tenant=request.tenant, actor=request.user, waba_id=form.cleaned_data["waba_id"]
            )
        except ApplicationError as error:
            form.add_error("waba_id", error.message)
        else:
            messages.success(request, _("%(count)s templates read from WhatsApp.") % {"count": count})
            return redirect("marketing:template-list")
    context = {
        "templates": WhatsAppTemplate.objects.all(),
        "form": form,
        "batches": TemplateBatch.objects.select_related("template")[:20],
        "sending_available": sending_available(),
    }
    return TemplateResponse(request, "marketing/template_list.html", context, status=400 if form.errors else 200)


def _filters(form: TemplateSendForm) -> dict:
    data = form.cleaned_data
    filters = {
        "stage": data.get("stage"),
        "source": data.get("source") or "",
        "campaign": data.get("campaign") or "",
        "tag": data.get("tag") or "",
        "created_from": data["created_from"].isoformat() if data.get("created_from") else "",
        "created_to": data["created_to"].isoformat() if data.get("created_to") else "",
    }
    return {key: value for key, value in filters.items() if value not in (None, "")}


@roles_required(*MARKETERS)
@require_http_methods(["GET", "POST"])
def template_detail_view(request, pk: int):
    template = get_object_or_404(WhatsAppTemplate, pk=pk)
    stages = list(Stage.objects.all())
    form = TemplateSendForm(request.POST or request.GET or None, stages=stages)
    samples = services.template_samples(template)
    context = {
        "template": template,
        "preview": services.template_render(template, samples),
        "variables": [
            (n, (template.variables or [])[n - 1] if n <= len(template.variables or []) else "first_name")
            for n in range(1, services.template_variable_count(template) + 1)
        ],
        "fields": services.LEAD_FIELDS,
        "form": form,
        "sending_available": sending_available(),
    }
    if request.method == "POST" and form.is_valid():
        filters = _filters(form)
        lead_id = form.cleaned_data.get("lead")
        try:
            if lead_id:
                lead = get_object_or_404(Lead, pk=lead_id)
                status = services.template_send_to_lead(
                    tenant=request.tenant,
                    template=template,
                    lead=lead,
                    actor=request.user,
                    key=f"manual:{template.pk}:{lead.pk}:{request.POST.get('nonce', '')[:40]}",
                )
                messages.info(request, _("Result: %(status)s") % {"status": status})
                return redirect("marketing:template-detail", pk=template.pk)
            if request.POST.get("confirm"):
                services.template_batch_create(
                    tenant=request.tenant, template=template, filters=filters, actor=request.user
                )
                messages.success(request, _("The template is being sent."))
                return redirect("marketing:template-list")
            context["question"] = services.batch_preview(filters=filters)
        except ApplicationError as error:
            context["error"] = error.message
    return TemplateResponse(request, "marketing/template_detail.html", context)


@roles_required(*MARKETERS)
@require_POST
def template_variables_view(request, pk: int):
    template = get_object_or_404(WhatsAppTemplate, pk=pk)
    count = services.template_variable_count(template)
    fields = [request.POST.get(f"var{i}", "first_name") for i in range(1, count + 1)]
    try:
        services.template_set_variables(template=template, fields=fields, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("marketing:template-detail", pk=template.pk)


def _rule_form(request, instance=None, data=None):
    return RuleForm(
        data,
        instance=instance,
        stages=list(Stage.objects.all()),
        sellers=seller_choices(request.tenant),
        templates=list(WhatsAppTemplate.objects.filter(status="APPROVED")),
    )


@roles_required(*MARKETERS)
@require_GET
def rule_list_view(request):
    firings = RuleFiring.objects.select_related("rule")
    page = Paginator(firings, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "marketing/rule_list.html", {"rules": AutomationRule.objects.all(), "page": page})


@roles_required(*MARKETERS)
@require_http_methods(["GET", "POST"])
def rule_edit_view(request, pk: int | None = None):
    instance = get_object_or_404(AutomationRule, pk=pk) if pk else None
    form = _rule_form(request, instance, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rule = rule_save(rule=form.save(commit=False), actor=request.user)
        messages.success(request, _("Rule saved."))
        return redirect("marketing:rule-edit", pk=rule.pk)
    context = {"form": form, "rule": instance, "preview": rule_preview(rule=instance) if instance else None}
    return TemplateResponse(request, "marketing/rule_edit.html", context, status=400 if form.errors else 200)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def conversation_template_view(request, pk: int):
    """The inbox composer's template button (chats/_composer_templates.html): answers in its result area."""
    from chats.selectors import conversation_for

    conversation = conversation_for(membership=request.membership, conversation_id=pk)
    if conversation is None:
        raise Http404
    template = WhatsAppTemplate.objects.filter(pk=request.POST.get("template") or 0).first()
    try:
        if template is None:
            raise ApplicationError(_("Choose a template."))
        message = services.template_send_in_conversation(
            tenant=request.tenant, template=template, conversation=conversation, actor=request.user
        )
    except ApplicationError as error:
        if request.htmx:
            context = {"error": error.message, "conversation": conversation}
            return TemplateResponse(request, "chats/inbox.html#composer-error", context, status=422)
        messages.error(request, error.message)
        return redirect("chats:conversation", pk)
    if request.htmx:
        response = TemplateResponse(
            request, "chats/inbox.html#sent", {"message": message, "conversation": conversation}
        )
        return trigger_client_event(response, "chats:sent", {})
    return redirect("chats:conversation", pk)


urlpatterns = [
    path("conversations/<int:pk>/template/", conversation_template_view, name="conversation-template"),
    path("templates/", template_list_view, name="template-list"),
    path("templates/<int:pk>/", template_detail_view, name="template-detail"),
    path("templates/<int:pk>/variables/", template_variables_view, name="template-variables"),
    path("rules/", rule_list_view, name="rule-list"),
    path("rules/new/", rule_edit_view, name="rule-new"),
    path("rules/<int:pk>/", rule_edit_view, name="rule-edit"),
]
