"""Marketing hub: Meta Ads spend joined to leads and won revenue, lead capture forms, WhatsApp templates and
automation rules."""

from datetime import timedelta

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from agenda.reminders import register_lead_reminder
        from marketing.services.rules import appointment_reminder

        register_lead_reminder("marketing.rules_24h", appointment_reminder, before=timedelta(hours=24))
