"""Automation rules: a trigger, conditions on the lead, one action. Workers evaluate them; each firing is
logged and happens at most once per rule, lead and occurrence of the trigger (`trigger_key`), whatever
the number of workers: the RuleFiring row is inserted under a unique constraint in the same transaction
as the action, so a concurrent second worker waits for the first and then finds the row."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import SYSTEM
from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant
from crm import public as crm
from crm.models import Lead, Stage
from marketing.models import AutomationRule, RuleFiring, WhatsAppTemplate

Trigger = AutomationRule.Trigger
Action = AutomationRule.Action
SCAN_LOOKBACK = timedelta(days=2)
SCAN_LIMIT = 1000


def conditions_match(rule: AutomationRule, lead: Lead) -> bool:
    c = rule.conditions or {}
    if c.get("source") and lead.source != c["source"]:
        return False
    if c.get("campaign") and lead.meta_campaign_id != c["campaign"]:
        return False
    if c.get("stage") and lead.stage_id != int(c["stage"]):
        return False
    if c.get("seller") and lead.seller_id != int(c["seller"]):
        return False
    return not (c.get("tag") and not lead.tags.filter(name=c["tag"]).exists())


def _conditions_q(rule: AutomationRule) -> Q:
    c = rule.conditions or {}
    q = Q()
    if c.get("source"):
        q &= Q(source=c["source"])
    if c.get("campaign"):
        q &= Q(meta_campaign_id=c["campaign"])
    if c.get("stage"):
        q &= Q(stage_id=int(c["stage"]))
    if c.get("seller"):
        q &= Q(seller_id=int(c["seller"]))
    if c.get("tag"):
        q &= Q(tags__name=c["tag"])
    return q


def _act(*, tenant, rule: AutomationRule, lead: Lead, key: str) -> str:
    p = rule.params or {}
    if rule.action == Action.SEND_TEMPLATE:
        from marketing.services.templates import template_send_to_lead

        template = WhatsAppTemplate.objects.filter(pk=p.get("template")).first()
        if template is None:
            raise ApplicationError(_("The rule's template no longer exists."))
        return template_send_to_lead(
            tenant=tenant, template=template, lead=lead, actor=SYSTEM, key=f"rule:{rule.pk}:{lead.pk}:{key}"
        )
    if rule.action == Action.ASSIGN:
        crm.lead_assign(tenant=tenant, lead=lead, seller_id=int(p["seller"]), actor=SYSTEM)
        return "assigned"
    if rule.action == Action.MOVE:
        stage = Stage.objects.filter(pk=p.get("stage")).first()
        if stage is None:
            raise ApplicationError(_("The rule's stage no longer exists."))
        if lead.stage_id != stage.pk:
            crm.lead_move(tenant=tenant, lead=lead, stage=stage, actor=SYSTEM)
        return "moved"
    if rule.action == Action.TAG:
        crm.lead_add_tag(tenant=tenant, lead=lead, tag=str(p.get("tag", ""))[:40], actor=SYSTEM)
        return "tagged"
    if rule.action == Action.TASK:
        from agenda.services.tasks import task_create

        due = timezone.now() + timedelta(hours=int(p.get("due_hours") or 24))
        task_create(
            tenant=tenant,
            lead=lead,
            title=str(p.get("task") or rule.name)[:160],
            due_at=due,
            assignee_id=None,
            actor=SYSTEM,
        )
        return "task"
    raise ApplicationError(_("Unknown action."))


def rule_fire(*, tenant, rule_id: int, lead_id: int, key: str) -> str:
    """Fires one rule on one lead for one trigger occurrence: "fired", "failed", "skipped" (conditions no
    longer hold, rule off) or "already" (fired before, by this or another worker)."""
    check_tenant(tenant)
    rule = AutomationRule.objects.filter(pk=rule_id, active=True).first()
    lead = Lead.objects.filter(pk=lead_id).first()
    if rule is None or lead is None or lead.erased_at:
        return "skipped"
    if not conditions_match(rule, lead):
        return "skipped"
    with transaction.atomic():
        try:
            with transaction.atomic():
                firing = RuleFiring.objects.create(
                    rule=rule, lead_id=lead.pk, trigger_key=key[:128], action=rule.action
                )
        except IntegrityError:
            return "already"
        try:
            with transaction.atomic():
                detail = _act(tenant=tenant, rule=rule, lead=lead, key=key)
        except (ApplicationError, KeyError, ValueError) as error:
            message = getattr(error, "message", str(error))
            RuleFiring.objects.filter(pk=firing.pk).update(result=RuleFiring.Result.FAILED, detail=str(message)[:500])
            return "failed"
        RuleFiring.objects.filter(pk=firing.pk).update(detail=str(detail)[:500])
    return "fired"


def rules_trigger(*, tenant, trigger: str, lead: Lead, key: str) -> int:
    """Queues the active rules of `trigger` for `lead` (after commit, for the workers). Returns how many."""
    from marketing.tasks import rule_fire_task

    check_tenant(tenant)
    rule_ids = list(AutomationRule.objects.filter(active=True, trigger=trigger).values_list("pk", flat=True))
    for rule_id in rule_ids:
        transaction.on_commit(lambda r=rule_id: rule_fire_task.delay(r, lead.pk, key))
    return len(rule_ids)


def _candidates(rule: AutomationRule, now) -> list[tuple[int, str]]:
    """(lead id, trigger key) pairs a scanned trigger covers now."""
    leads = Lead.objects.filter(erased_at__isnull=True).filter(_conditions_q(rule))
    if rule.trigger == Trigger.STAGE_REACHED:
        rows = leads.filter(stage_id=rule.trigger_stage_id, stage_changed_at__gte=now - SCAN_LOOKBACK).values_list(
            "pk", "stage_changed_at"
        )
        return [(pk, f"stage:{rule.trigger_stage_id}:{at.isoformat()}") for pk, at in rows[:SCAN_LIMIT]]
    if rule.trigger == Trigger.NO_REPLY:
        threshold = now - timedelta(hours=rule.trigger_hours or 24)
        rows = (
            leads.filter(stage__kind=Stage.Kind.OPEN)
            .filter(
                Q(last_contact_at__lte=threshold, last_contact_at__gte=threshold - SCAN_LOOKBACK)
                | Q(last_contact_at__isnull=True, created_at__lte=threshold, created_at__gte=threshold - SCAN_LOOKBACK)
            )
            .values_list("pk", "last_contact_at", "created_at")
        )
        return [(pk, f"silent:{(contact or created).isoformat()}") for pk, contact, created in rows[:SCAN_LIMIT]]
    if rule.trigger == Trigger.NO_SHOW:
        from agenda.models import Appointment

        rows = Appointment.objects.filter(
            status=Appointment.Status.NO_SHOW, updated_at__gte=now - SCAN_LOOKBACK, lead__in=leads
        ).values_list("lead_id", "pk")
        return [(lead_id, f"noshow:{pk}") for lead_id, pk in rows[:SCAN_LIMIT]]
    if rule.trigger == Trigger.APPOINTMENT_SOON:
        from agenda.models import Appointment

        rows = Appointment.objects.filter(
            status__in=Appointment.OPEN_STATUSES, start__gt=now, start__lte=now + timedelta(hours=24), lead__in=leads
        ).values_list("lead_id", "pk", "start")
        return [(lead_id, f"appointment:{pk}:{start.isoformat()}") for lead_id, pk, start in rows[:SCAN_LIMIT]]
    if rule.trigger == Trigger.LEAD_FROM_AD:
        rows = leads.filter(source__in=[Lead.Source.META_ADS, Lead.Source.WEBSITE], created_at__gte=now - SCAN_LOOKBACK)
        return [(pk, f"created:{pk}") for pk in rows.values_list("pk", flat=True)[:SCAN_LIMIT]]
    return []


def rules_scan(*, tenant, now=None) -> int:
    """Beat: fires the time-based and state-based rules (stage reached, no reply, no-show) on the leads
    they cover now. Returns how many firings happened."""
    check_tenant(tenant)
    now = now or timezone.now()
    fired = 0
    scanned = (Trigger.STAGE_REACHED, Trigger.NO_REPLY, Trigger.NO_SHOW)
    for rule in AutomationRule.objects.filter(active=True, trigger__in=scanned):
        for lead_id, key in _candidates(rule, now):
            if rule_fire(tenant=tenant, rule_id=rule.pk, lead_id=lead_id, key=key) == "fired":
                fired += 1
    return fired


def rule_preview(*, rule: AutomationRule, now=None) -> dict:
    """Dry run: which leads the rule would act on now (fired ones left out), without doing anything."""
    now = now or timezone.now()
    pairs = _candidates(rule, now) if rule.pk else []
    done = set(RuleFiring.objects.filter(rule=rule).values_list("lead_id", "trigger_key")) if rule.pk else set()
    pending = [lead_id for lead_id, key in pairs if (lead_id, key[:128]) not in done]
    leads = list(Lead.objects.filter(pk__in=pending[:50]).select_related("stage"))
    return {"count": len(pending), "leads": leads}


def appointment_reminder(tenant, appointment) -> None:
    """The agenda's 24-hour lead reminder hook: fires the "appointment in 24 hours" rules."""
    key = f"appointment:{appointment.pk}:{appointment.start.isoformat()}"
    for rule_id in AutomationRule.objects.filter(active=True, trigger=Trigger.APPOINTMENT_SOON).values_list(
        "pk", flat=True
    ):
        rule_fire(tenant=tenant, rule_id=rule_id, lead_id=appointment.lead_id, key=key)


def rule_save(*, rule: AutomationRule, actor) -> AutomationRule:
    creating = rule.pk is None
    if creating and getattr(actor, "is_authenticated", False):
        rule.created_by = actor
    rule.save()
    audit_log(action="marketing.rule_create" if creating else "marketing.rule_update", actor=actor, obj=rule)
    return rule
