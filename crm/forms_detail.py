"""Forms of the pipeline board, the stage settings and the lead detail page."""

from __future__ import annotations

import re

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crm.models import Lead, Stage
from crm.selectors.leads import LeadFilters, assignable_members
from crm.services.documents import ALLOWED_EXTENSIONS
from crm.services.timeline import CALL_OUTCOMES
from tenants.models import Membership, Role

CALL_OUTCOME_LABELS = {
    "answered": _("Answered"),
    "no_answer": _("No answer"),
    "voicemail": _("Voicemail"),
    "wrong_number": _("Wrong number"),
    "busy": _("Busy"),
}

UNASSIGNED = "0"


def _seller_choices(tenant, empty_label) -> list[tuple[str, str]]:
    members = assignable_members(tenant=tenant)
    return [("", empty_label), *[(str(m.user_id), m.user.full_name or m.user.email) for m in members]]


class BoardFilterForm(forms.Form):
    """The board's filters. Only owners filter by seller: a seller's board holds only their own leads."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *Lead.Source.choices]
    )
    seller = forms.ChoiceField(label=_("Seller"), required=False)

    def __init__(self, data=None, *, membership: Membership):
        super().__init__(data)
        if membership.role == Role.OWNER:
            choices = _seller_choices(membership.tenant, _("All sellers"))
            self.fields["seller"].choices = [*choices, (UNASSIGNED, _("Unassigned"))]
        else:
            del self.fields["seller"]

    def filters(self) -> LeadFilters:
        """The valid filters; an invalid value is ignored rather than failing the whole board."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        seller = data.get("seller", "")
        return LeadFilters(
            search=data.get("q", ""), source=data.get("source", ""), seller_id=int(seller) if seller else None
        )

    def querystring(self) -> str:
        """The valid, non-empty filters as a query string, for URLs that must keep them (load more)."""
        self.is_valid()
        query = QueryDict(mutable=True)
        data = getattr(self, "cleaned_data", {})
        for name in self.fields:
            if data.get(name):
                query[name] = data[name]
        return query.urlencode()


class StageChangeForm(forms.Form):
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.order_by("position", "id"), empty_label=None
    )
    lost_reason = forms.CharField(
        label=_("Why was it lost?"), required=False, max_length=255, widget=forms.TextInput(attrs={"maxlength": 255})
    )
    lost_note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].label_from_instance = lambda stage: stage.display_name


class MoveForm(StageChangeForm):
    """A card dropped on another column of the board."""

    lead = forms.IntegerField(min_value=1)
    from_stage = forms.IntegerField(min_value=1, required=False)


class AssignForm(forms.Form):
    seller = forms.ChoiceField(label=_("Seller"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].choices = _seller_choices(tenant, _("Unassigned"))

    def seller_id(self) -> int | None:
        return int(self.cleaned_data["seller"]) if self.cleaned_data["seller"] else None


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a note…")})
    )

    def __init__(self, *args, **kwargs):
        # The lead page holds the note, call and document forms together: ids of their own, so each label
        # points at its own field (both note and call have a "body").
        super().__init__(*args, auto_id="note_%s", **kwargs)


_MINUTES = re.compile(r"^(\d{1,4})(?:[.,](\d{1,2}))?$")
_CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)$")


def parse_duration(text: str) -> int:
    """Seconds from `4:30` (mm:ss), `1:04:30` (h:mm:ss), `5` or `2.5` (minutes). Raises ValueError."""
    text = (text or "").strip()
    if not text:
        return 0
    if match := _MINUTES.match(text):
        whole, fraction = match.groups()
        return round((int(whole) + (int(fraction) / 10 ** len(fraction) if fraction else 0)) * 60)
    if match := _CLOCK.match(text):
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    raise ValueError(text)


class CallForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[(key, CALL_OUTCOME_LABELS.get(key, key)) for key in CALL_OUTCOMES]
    )
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        max_length=10,
        help_text=_("mm:ss or minutes"),
        widget=forms.TextInput(attrs={"placeholder": "4:30", "inputmode": "numeric", "size": 6}),
    )
    body = forms.CharField(label=_("Note"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="call_%s", **kwargs)

    def clean_duration(self) -> int:
        try:
            seconds = parse_duration(self.cleaned_data["duration"])
        except ValueError:
            raise forms.ValidationError(_("Write the duration as mm:ss (4:30) or in minutes (5).")) from None
        if seconds > 24 * 3600:
            raise forms.ValidationError(_("The duration must be between 0 and 24 hours."))
        return seconds


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, images, Word, Excel, CSV or text; up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="document_%s", **kwargs)


class StageNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=60)


class StageCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices, initial=Stage.Kind.OPEN)
