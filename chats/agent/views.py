"""Owners' pages of the agent: its settings (tone, and where its switch and key live) and every run on a
conversation (tool calls, results, tokens, cost, errors)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chats.agent.forms import AgentSettingsForm
from chats.agent.selectors import company_run_totals, conversation_run_totals, conversation_runs
from chats.agent.services import agent_settings_get, agent_settings_update
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role

PAGE_SIZE = 20
TOTALS_DAYS = 30


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def agent_settings(request):
    from chats.agent.clients.openai import chat_model_name
    from tenants.models import Credential
    from tenants.vault import vault_get

    current = agent_settings_get()
    form = AgentSettingsForm(request.POST or None, initial={"tone": current.tone})
    if request.method == "POST" and form.is_valid():
        try:
            agent_settings_update(tenant=request.tenant, tone=form.cleaned_data["tone"], actor=request.user)
        except ApplicationError as error:
            form.add_error("tone", error.message)
        else:
            messages.success(request, _("Agent settings saved."))
            return redirect("chats_agent:settings")
    has_key = bool((vault_get(tenant=request.tenant, kind=Credential.Kind.OPENAI) or {}).get("api_key"))
    context = {
        "form": form,
        "has_key": has_key,
        "model": chat_model_name(request.tenant),
        "totals": company_run_totals(since=timezone.now() - timedelta(days=TOTALS_DAYS)),
        "days": TOTALS_DAYS,
    }
    return TemplateResponse(request, "chats/agent/settings.html", context)


@roles_required(Role.OWNER)
@require_GET
def agent_runs(request, conversation_id: int):
    from chats.models import Conversation

    conversation = Conversation.objects.select_related("lead").filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404
    page = Paginator(conversation_runs(conversation=conversation), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"conversation": conversation, "page": page, "totals": conversation_run_totals(conversation=conversation)}
    return TemplateResponse(request, "chats/agent/runs.html", context)
