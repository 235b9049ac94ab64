"""Forms of the lead pages: the list's filters and bulk actions, the lead form (create and edit)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.forms.models import fields_for_model
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.forms import Select
from core.phones import normalize_phone
from crm.forms.common import seller_choices
from crm.models import Lead, Stage
from crm.selectors.leads import SORTS, LeadFilters

UNASSIGNED = "none"
SORT_CHOICES = [(key, key) for name in SORTS for key in (name, f"-{name}")]


class LeadFilterForm(forms.Form):
    """The list's query string. Anything that does not validate is ignored rather than refused."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=forms.TextInput())
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None, widget=Select)
    seller = forms.ChoiceField(label=_("Seller"), required=False, widget=Select)
    source = forms.ChoiceField(label=_("Source"), required=False, widget=Select)
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None, widget=Select)
    score = forms.ChoiceField(label=_("Score"), required=False, widget=Select)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, data, *, stages, tags, members=None):
        super().__init__(data, auto_id="filter_%s")
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(placeholder=_("Name, phone or email"), autocomplete="off")
        self.fields["stage"].choices = [("", _("Any stage"))] + [(s.pk, s.display_name) for s in stages]
        self.fields["tag"].choices = [("", _("Any tag"))] + [(t.pk, t.name) for t in tags]
        self.fields["source"].choices = [("", _("Any source")), *Lead.Source.choices]
        self.fields["score"].choices = [("", _("Any score")), *Lead.Score.choices]
        if members is None:
            del self.fields["seller"]
        else:
            choices = seller_choices(members, blank=_("Any seller"))
            self.fields["seller"].choices = [choices[0], (UNASSIGNED, _("Unassigned")), *choices[1:]]

    def filters(self) -> LeadFilters:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        seller = data.get("seller") or ""
        return LeadFilters(
            search=data.get("q") or "",
            stage_id=data.get("stage"),
            seller_id=0 if seller == UNASSIGNED else (int(seller) if seller else None),
            source=data.get("source") or "",
            tag_id=data.get("tag"),
            score=data.get("score") or "",
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            sort=data.get("sort") or "-created",
        )


LEAD_FORM_FIELDS = [
    "first_name", "last_name", "email", "company", "source", "score", "score_reason", "expected_value",
    "expected_close", "language", "next_action", "next_action_at", "notes",
]  # fmt: skip
ATTRIBUTION_FIELDS = [
    "meta_campaign_id", "meta_adset_id", "meta_ad_id", "ad_headline", "ad_body", "click_id",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
]  # fmt: skip
UTM_LABELS = {
    "utm_source": _("UTM source"),
    "utm_medium": _("UTM medium"),
    "utm_campaign": _("UTM campaign"),
    "utm_term": _("UTM term"),
    "utm_content": _("UTM content"),
}


class LeadForm(forms.Form):
    """Create and edit. A plain form (not a ModelForm) so the lead is changed only by the services, which
    compare before and after for the history and the audit log."""

    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        help_text=_("Any format; numbers without a country prefix are read as your company's country."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    seller = forms.ChoiceField(label=_("Seller"), required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=400, help_text=_("Separated by commas, e.g. vip, fair-2026")
    )

    confirm_value = forms.BooleanField(label=_("Yes, the value is right"), required=False)

    def __init__(
        self,
        *args,
        stages,
        currency: str,
        region: str,
        members=None,
        creating: bool = True,
        value_limit=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.region = region or "ES"
        self.currency = currency
        self.value_limit = value_limit
        self.stage_map = {stage.pk: stage for stage in stages}
        model_fields = fields_for_model(Lead, fields=LEAD_FORM_FIELDS + ATTRIBUTION_FIELDS)
        model_fields["source"].choices = [c for c in Lead.Source.choices if c[0] != Lead.Source.IMPORT or not creating]
        model_fields["score"].choices = [("", "—"), *Lead.Score.choices]
        model_fields["language"] = forms.ChoiceField(
            label=_("Preferred language"), required=False, choices=[("", "—"), *settings.LANGUAGES]
        )
        model_fields["expected_value"].label = _("Expected value (%(currency)s)") % {"currency": currency}
        model_fields["expected_value"].validators.append(MinValueValidator(0))
        model_fields["expected_value"].widget.attrs.update(min="0", step="0.01")
        model_fields["next_action_at"] = forms.DateTimeField(
            label=_("Next step due"),
            required=False,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
        model_fields["expected_close"] = forms.DateField(
            label=_("Expected close"),
            required=False,
            help_text=_("When the deal should close: places it in the forecast's month."),
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        for name, label in UTM_LABELS.items():
            model_fields[name].label = label
        model_fields["notes"].widget.attrs.update(rows=3)
        model_fields["ad_body"].widget.attrs.update(rows=2)
        self.fields.update(model_fields)
        if creating:
            # Lost needs a reason, given when a lead is moved there; a new lead starts in an open or won stage.
            stages = [s for s in stages if s.kind != Stage.Kind.LOST]
            self.fields["stage"].choices = [(s.pk, s.display_name) for s in stages]
        else:
            del self.fields["stage"]
        if members is None:
            del self.fields["seller"]
        else:
            blank = _("Automatic (the company's rule)") if creating else _("Unassigned")
            self.fields["seller"].choices = seller_choices(members, blank=blank)
        self.order_fields(["phone", "first_name", "last_name", "email", "company", "stage", "seller"])
        names = [name for name in self.fields if name != "confirm_value"]
        names.insert(names.index("expected_value") + 1, "confirm_value")
        self.order_fields(names)

    def clean(self):
        data = super().clean()
        value = data.get("expected_value")
        if value and self.value_limit is not None and value > self.value_limit and not data.get("confirm_value"):
            self.value_needs_confirmation = True
            limit = number_format(self.value_limit, 0, use_l10n=True, force_grouping=True)
            self.add_error(
                "expected_value",
                _("This is above %(limit)s %(currency)s. Check the amount, then tick “Yes, the value is right”.")
                % {"limit": limit, "currency": self.currency},
            )
        return data

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"], region=self.region)
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from error

    def chosen_stage(self) -> Stage | None:
        return self.stage_map.get(self.cleaned_data.get("stage"))

    @staticmethod
    def initial_for(lead: Lead) -> dict:
        initial = {name: getattr(lead, name) for name in LEAD_FORM_FIELDS + ATTRIBUTION_FIELDS}
        initial.update(
            phone=lead.phone,
            seller=str(lead.seller_id or ""),
            tags=", ".join(tag.name for tag in lead.tags.all()),
        )
        return initial

    def main_fields(self):
        # The confirmation box shows only when a value above the company's limit asks for it.
        hidden = set(ATTRIBUTION_FIELDS)
        if not getattr(self, "value_needs_confirmation", False):
            hidden.add("confirm_value")
        return [self[name] for name in self.fields if name not in hidden]

    def attribution_fields(self):
        return [self[name] for name in ATTRIBUTION_FIELDS]

    def attribution_open(self) -> bool:
        return any(self[name].errors or self[name].value() for name in ATTRIBUTION_FIELDS)

    def service_kwargs(self) -> dict:
        """What lead_create / lead_update take: the model fields, the phone and the tags as a list."""
        data = self.cleaned_data
        kwargs = {name: data[name] for name in LEAD_FORM_FIELDS + ATTRIBUTION_FIELDS}
        kwargs["expected_value"] = kwargs["expected_value"] or 0
        kwargs["phone"] = data["phone"]
        kwargs["tags"] = [tag.strip() for tag in data["tags"].split(",") if tag.strip()]
        return kwargs

    def seller_id(self) -> int | None:
        value = self.cleaned_data.get("seller")
        return int(value) if value else None


class BulkActionForm(forms.Form):
    """The list's bulk bar: which rows (on the current page), what to do, and whether it was confirmed."""

    ASSIGN, TAG, UNTAG, MOVE = "assign", "tag", "untag", "move"

    ids = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Select at least one lead.")})
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("assign", _("Assign to…")),
            ("tag", _("Add tag…")),
            ("untag", _("Remove tag…")),
            ("move", _("Move to…")),
        ],
        widget=Select,
    )
    seller = forms.ChoiceField(label=_("Seller"), required=False, widget=Select)
    tag = forms.CharField(
        label=_("Tag"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None, widget=Select)
    lost_reason = forms.CharField(label=_("Why were they lost?"), required=False, max_length=255)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
    # "Select all N matching": every lead the list's filters (its query string) match, beyond the page.
    all_matching = forms.BooleanField(required=False, widget=forms.HiddenInput)
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    MAX_IDS = 200

    def __init__(self, data, *, stages, members=None):
        super().__init__(data, auto_id="bulk_%s")
        self.stages = {stage.pk: stage for stage in stages}
        ids = data.getlist("ids") if data is not None else []
        self.fields["ids"].choices = [(value, value) for value in ids[: self.MAX_IDS]]
        if data is not None and data.get("all_matching") in ("1", "true", "on"):
            self.fields["ids"].required = False
        self.fields["stage"].choices = [("", "—")] + [(s.pk, s.display_name) for s in stages]
        if members is None:
            # Sellers work their own leads: they tag and move them, they do not hand them out.
            del self.fields["seller"]
            self.fields["action"].choices = [c for c in self.fields["action"].choices if c[0] != self.ASSIGN]
        else:
            people = seller_choices(members, blank="")[1:]
            self.fields["seller"].choices = [("", "—"), (UNASSIGNED, _("Nobody (unassign)")), *people]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not data.get("seller"):
            self.add_error("seller", _("Choose the seller."))
        if action == self.TAG and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Type the tag to add."))
        if action == self.UNTAG and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Type the tag to remove."))
        if action == self.MOVE:
            stage = self.stages.get(data.get("stage"))
            if stage is None:
                self.add_error("stage", _("Choose the stage."))
            elif stage.kind == Stage.Kind.LOST and data.get("confirmed") and not data.get("lost_reason", "").strip():
                self.add_error("lost_reason", _("Say why the leads were lost."))
            data["stage_obj"] = stage
        return data

    def seller_id(self) -> int | None:
        value = self.cleaned_data.get("seller")
        return None if value in (UNASSIGNED, "", None) else int(value)


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the view a name."))
        return name
