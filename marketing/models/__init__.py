"""Marketing models (tenant schema): the Meta connection and what it syncs (ad accounts, campaigns, ad sets,
ads, daily insights), lead-ads events, lead capture forms, WhatsApp templates and automation rules."""

from marketing.models.ads import Ad, AdAccount, AdSet, Campaign, Insight, MetaConnection
from marketing.models.capture import FormSubmission, LeadForm, LeadgenEvent
from marketing.models.messaging import (
    AutomationRule,
    OptOut,
    RuleFiring,
    TemplateBatch,
    TemplateSend,
    WhatsAppTemplate,
)
from marketing.models.rollups import InsightRollup, LeadFact, LeadRollup

__all__ = [
    "Ad",
    "AdAccount",
    "AdSet",
    "AutomationRule",
    "Campaign",
    "FormSubmission",
    "Insight",
    "InsightRollup",
    "LeadFact",
    "LeadForm",
    "LeadRollup",
    "LeadgenEvent",
    "MetaConnection",
    "OptOut",
    "RuleFiring",
    "TemplateBatch",
    "TemplateSend",
    "WhatsAppTemplate",
]
