"""Where leads come in from marketing: Meta lead-ads events and the company's public capture forms."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference


class LeadgenEvent(TimeStampedModel):
    """One lead-ads notification, stored once (unique `leadgen_id`): Meta retries deliveries, and a
    duplicate is ignored. Processed by a worker that fetches the answers from Graph."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        DONE = "done", _("Lead recorded")
        FAILED = "failed", _("Failed")

    leadgen_id = models.CharField(max_length=64, unique=True)
    page_id = models.CharField(max_length=64)
    form_id = models.CharField(max_length=64, blank=True)
    ad_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.CharField(max_length=500, blank=True)
    lead_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lead ads event")
        verbose_name_plural = _("lead ads events")

    def __str__(self) -> str:
        return self.leadgen_id


class LeadForm(TimeStampedModel):
    """A public lead capture form, served at /f/<slug>/ on the company's host and embeddable elsewhere."""

    class SellerRule(models.TextChoices):
        COMPANY = "company", _("The company's rule for new leads")
        SELLER = "seller", _("Always this person")

    FIELD_CHOICES = [
        ("first_name", _("First name")),
        ("last_name", _("Last name")),
        ("email", _("Email")),
        ("company", _("Company")),
        ("message", _("Message")),
    ]

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=160, blank=True)
    # The optional fields shown besides the phone (always asked): keys of FIELD_CHOICES, in order.
    fields = models.JSONField(_("fields"), default=list, blank=True)
    consent_text = models.TextField(_("consent text"), blank=True)
    thank_you = models.TextField(_("thank-you message"), blank=True)
    target_stage = models.ForeignKey(
        "crm.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("stage")
    )
    seller_rule = models.CharField(_("seller"), max_length=16, choices=SellerRule.choices, default=SellerRule.COMPANY)
    seller = user_reference(verbose_name=_("seller"))
    active = models.BooleanField(_("accepting answers"), default=True)
    created_by = user_reference()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")

    def __str__(self) -> str:
        return self.name


class FormSubmission(models.Model):
    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="submissions")
    lead_id = models.BigIntegerField(null=True, blank=True)
    created_lead = models.BooleanField(default=False)
    answers = models.JSONField(default=dict)
    utm = models.JSONField(default=dict, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.form_id} {self.created_at:%Y-%m-%d}"
