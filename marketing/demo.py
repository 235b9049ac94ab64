"""Demo marketing data, added by `manage.py seed_demo` inside each demo tenant (settings.DEMO_SEEDERS),
after the CRM's leads: a sandbox Meta account (the in-memory fake Graph, never the network) with three
campaigns and a month of daily insights synced through the real sync service, recent demo leads
attributed to its ads (won deals among them), its WhatsApp templates, a lead form and a rule.
Deterministic per tenant; does nothing when the tenant already has a Meta connection."""

from __future__ import annotations

import random

from django.utils import timezone, translation

from core.actors import SYSTEM
from crm import public as crm
from crm.models import Lead, Stage
from marketing.models import Ad, AdAccount, AutomationRule, LeadForm, MetaConnection
from marketing.services.connection import accounts_select, connection_sandbox
from marketing.services.sync import company_sync
from marketing.services.templates import templates_sync

ATTRIBUTED = 80


def seed(*, tenant, stdout=None) -> int:
    if MetaConnection.objects.exists():
        if stdout is not None:
            stdout.write(f"  {tenant.slug}: Meta connection already present, marketing demo data left as it is")
        return 0
    rng = random.Random(f"marketing-demo-{tenant.slug}")  # noqa: S311 (demo data, not security)
    with translation.override(tenant.language or "en"):
        connection_sandbox(tenant=tenant, actor=SYSTEM)
        accounts_select(tenant=tenant, actor=SYSTEM, meta_ids=list(AdAccount.objects.values_list("meta_id", flat=True)))
        summary = company_sync(tenant=tenant, days=30, force=True)
        templates_sync(tenant=tenant, actor=SYSTEM, waba_id="demo-waba")
        ads = list(Ad.objects.select_related("adset", "campaign").order_by("meta_id"))
        since = timezone.now() - timezone.timedelta(days=29)
        recent = Lead.objects.filter(created_at__gte=since, erased_at__isnull=True, meta_campaign_id="")
        won = list(recent.filter(stage__kind=Stage.Kind.WON).order_by("id")[:20])
        others = list(recent.exclude(stage__kind=Stage.Kind.WON).order_by("id")[: ATTRIBUTED - len(won)])
        for lead in won + others:
            ad = rng.choice(ads)
            crm.lead_set_attribution(
                tenant=tenant,
                lead=lead,
                actor=SYSTEM,
                meta_campaign_id=ad.campaign.meta_id,
                meta_adset_id=ad.adset.meta_id,
                meta_ad_id=ad.meta_id,
                ad_headline=ad.name,
            )
        LeadForm.objects.get_or_create(
            slug="contact",
            defaults={
                "name": "Web",
                "title": str(_title()),
                "fields": ["first_name", "email"],
                "thank_you": str(_thanks()),
            },
        )
        AutomationRule.objects.get_or_create(
            name=str(_rule_name()),
            defaults={
                "trigger": AutomationRule.Trigger.LEAD_FROM_AD,
                "action": AutomationRule.Action.TAG,
                "params": {"tag": "meta"},
                "conditions": {"source": Lead.Source.META_ADS},
            },
        )
    if stdout is not None:
        stdout.write(
            f"  {tenant.slug}: sandbox Meta account with {summary.campaigns} campaigns, {summary.insights} daily "
            f"insights and {len(won) + len(others)} attributed leads"
        )
    return summary.insights


def _title():
    from django.utils.translation import gettext as _

    return _("Ask us for a quote")


def _thanks():
    from django.utils.translation import gettext as _

    return _("Thank you! We will contact you soon.")


def _rule_name():
    from django.utils.translation import gettext as _

    return _("Tag leads from Meta ads")
