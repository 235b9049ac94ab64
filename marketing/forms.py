"""Forms of the marketing pages."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Lead
from marketing.models import AutomationRule, LeadForm
from marketing.selectors.hub import LEVELS

MAX_RANGE_DAYS = 731


class HubForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    level = forms.ChoiceField(
        label=_("Per"),
        required=False,
        choices=[("campaign", _("Campaign")), ("adset", _("Ad set")), ("ad", _("Ad"))],
    )
    stage = forms.TypedChoiceField(label=_("Opportunity from stage"), required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, stages):
        if data is not None and not data.get("date_from") and not data.get("date_to"):
            # The first visit shows the range it reports (the last 30 days) in the date fields, not empty ones.
            data = data.copy()
            today = timezone.localdate()
            data["date_from"], data["date_to"] = (today - timedelta(days=29)).isoformat(), today.isoformat()
        super().__init__(data, auto_id="hub_%s")
        self.stages = {stage.pk: stage for stage in stages}
        self.fields["stage"].choices = [("", _("Won only"))] + [
            (stage.pk, stage.display_name) for stage in stages if stage.kind == "open"
        ]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=29)
        if date_from > date_to:
            raise forms.ValidationError(_("The start date must be before the end date."))
        if (date_to - date_from).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(_("Choose at most two years."))
        data["date_from"], data["date_to"] = date_from, date_to
        data["level"] = data.get("level") if data.get("level") in LEVELS else "campaign"
        return data

    def values(self) -> dict:
        """The validated choice, or the last 30 days per campaign when the query string is wrong."""
        if self.is_valid():
            data = self.cleaned_data
            stage = self.stages.get(data.get("stage"))
            return {"date_from": data["date_from"], "date_to": data["date_to"], "level": data["level"], "stage": stage}
        today = timezone.localdate()
        return {"date_from": today - timedelta(days=29), "date_to": today, "level": "campaign", "stage": None}


class ManualTokenForm(forms.Form):
    token = forms.CharField(
        label=_("System user access token"), max_length=1000, widget=forms.PasswordInput(render_value=False)
    )


class AccountsForm(forms.Form):
    accounts = forms.MultipleChoiceField(
        label=_("Ad accounts to follow"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = [(a.meta_id, f"{a.name} · {a.meta_id} · {a.currency}") for a in accounts]


class PageForm(forms.Form):
    page_id = forms.RegexField(label=_("Facebook page id"), regex=r"^\d{3,40}$", max_length=40)
    name = forms.CharField(label=_("Page name"), max_length=255, required=False)


class LeadFormForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(
        label=_("Fields besides the phone"),
        required=False,
        choices=LeadForm.FIELD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    seller = forms.TypedChoiceField(label=_("Seller"), required=False, coerce=int, empty_value=None)

    class Meta:
        model = LeadForm
        fields = [
            "name",
            "slug",
            "title",
            "fields",
            "consent_text",
            "thank_you",
            "target_stage",
            "seller_rule",
            "active",
        ]

    def __init__(self, *args, sellers, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].choices = [("", _("Nobody in particular")), *sellers]
        self.fields["target_stage"].queryset = stages
        self.fields["target_stage"].required = False
        if self.instance.pk:
            self.fields["seller"].initial = self.instance.seller_id

    def clean(self):
        data = super().clean()
        if data.get("seller_rule") == LeadForm.SellerRule.SELLER and not data.get("seller"):
            self.add_error("seller", _("Choose the person who gets this form's leads."))
        return data

    def save(self, commit=True):
        self.instance.seller_id = self.cleaned_data.get("seller")
        return super().save(commit=commit)


class PublicForm(forms.Form):
    """The visitor's side of a lead form; optional fields are added from the form's configuration."""

    phone = forms.CharField(label=_("Phone"), max_length=30)
    # Left empty by people, filled by bots (hidden with CSS and aria-hidden).
    website = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, lead_form: LeadForm, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(LeadForm.FIELD_CHOICES)
        for name in lead_form.fields or []:
            if name not in labels:
                continue
            if name == "email":
                self.fields[name] = forms.EmailField(label=labels[name], required=False, max_length=254)
            elif name == "message":
                self.fields[name] = forms.CharField(
                    label=labels[name], required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
                )
            else:
                self.fields[name] = forms.CharField(label=labels[name], required=False, max_length=80)
        if lead_form.consent_text:
            self.fields["consent"] = forms.BooleanField(label=lead_form.consent_text, required=True)


class TemplateSyncForm(forms.Form):
    waba_id = forms.RegexField(label=_("WhatsApp Business account id"), regex=r"^\d{3,40}$", max_length=40)


class TemplateSendForm(forms.Form):
    """Who receives the template: one lead, or the leads matching the lead list's filters."""

    lead = forms.IntegerField(required=False, min_value=1)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False)
    campaign = forms.CharField(label=_("Meta campaign id"), required=False, max_length=64)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("Any stage"))] + [(s.pk, s.display_name) for s in stages]
        self.fields["source"].choices = [("", _("Any source")), *Lead.Source.choices]


class RuleForm(forms.ModelForm):
    stage_id = forms.TypedChoiceField(label=_("Stage reached"), required=False, coerce=int, empty_value=None)
    cond_source = forms.ChoiceField(label=_("Only leads from"), required=False)
    cond_campaign = forms.CharField(label=_("Only this Meta campaign id"), required=False, max_length=64)
    cond_stage = forms.TypedChoiceField(label=_("Only leads in stage"), required=False, coerce=int, empty_value=None)
    cond_tag = forms.CharField(label=_("Only leads tagged"), required=False, max_length=40)
    cond_seller = forms.TypedChoiceField(label=_("Only leads of"), required=False, coerce=int, empty_value=None)
    template = forms.TypedChoiceField(label=_("Template"), required=False, coerce=int, empty_value=None)
    seller = forms.TypedChoiceField(label=_("Seller"), required=False, coerce=int, empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    task = forms.CharField(label=_("Task title"), required=False, max_length=160)

    class Meta:
        model = AutomationRule
        fields = ["name", "active", "trigger", "trigger_hours", "action"]

    def __init__(self, *args, stages, sellers, templates, **kwargs):
        super().__init__(*args, **kwargs)
        stage_choices = [(s.pk, s.display_name) for s in stages]
        self.fields["stage_id"].choices = [("", "—"), *stage_choices]
        self.fields["cond_stage"].choices = [("", _("Any stage")), *stage_choices]
        self.fields["stage"].choices = [("", "—"), *stage_choices]
        self.fields["cond_source"].choices = [("", _("Any source")), *Lead.Source.choices]
        self.fields["cond_seller"].choices = [("", _("Any seller")), *sellers]
        self.fields["seller"].choices = [("", "—"), *sellers]
        self.fields["template"].choices = [("", "—")] + [(t.pk, str(t)) for t in templates]
        rule = self.instance
        if rule.pk:
            c, p = rule.conditions or {}, rule.params or {}
            self.initial.update(
                stage_id=rule.trigger_stage_id,
                cond_source=c.get("source", ""),
                cond_campaign=c.get("campaign", ""),
                cond_stage=c.get("stage"),
                cond_tag=c.get("tag", ""),
                cond_seller=c.get("seller"),
                template=p.get("template"),
                seller=p.get("seller"),
                stage=p.get("stage"),
                tag=p.get("tag", ""),
                task=p.get("task", ""),
            )

    def clean(self):
        data = super().clean()
        trigger, action = data.get("trigger"), data.get("action")
        if trigger == AutomationRule.Trigger.STAGE_REACHED and not data.get("stage_id"):
            self.add_error("stage_id", _("Choose the stage."))
        if trigger == AutomationRule.Trigger.NO_REPLY and not data.get("trigger_hours"):
            self.add_error("trigger_hours", _("Say after how many hours."))
        needed = {
            AutomationRule.Action.SEND_TEMPLATE: "template",
            AutomationRule.Action.ASSIGN: "seller",
            AutomationRule.Action.MOVE: "stage",
            AutomationRule.Action.TAG: "tag",
            AutomationRule.Action.TASK: "task",
        }.get(action)
        if needed and not data.get(needed):
            self.add_error(needed, _("This action needs it."))
        return data

    def save(self, commit=True):
        data = self.cleaned_data
        rule = self.instance
        rule.trigger_stage_id = data.get("stage_id")
        conditions = {
            "source": data.get("cond_source") or "",
            "campaign": data.get("cond_campaign") or "",
            "stage": data.get("cond_stage"),
            "tag": data.get("cond_tag") or "",
            "seller": data.get("cond_seller"),
        }
        rule.conditions = {k: v for k, v in conditions.items() if v not in (None, "")}
        key = {"send_template": "template", "assign": "seller", "move": "stage", "tag": "tag", "task": "task"}
        rule.params = {key[rule.action]: data.get(key[rule.action])} if rule.action in key else {}
        return super().save(commit=commit)
