"""Forms of the lead detail page: stage, seller, note, call and document."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ClearableFileInput, Select, Textarea, TextInput
from crm.forms.common import seller_choices
from crm.models import CallOutcome, Stage
from crm.selectors.leads import assignable_members
from crm.services.documents import ALLOWED_EXTENSIONS


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


class AssignForm(forms.Form):
    seller = forms.ChoiceField(label=_("Seller"), required=False, widget=Select)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].choices = seller_choices(assignable_members(tenant=tenant), blank=_("Unassigned"))

    def seller_id(self) -> int | None:
        return int(self.cleaned_data["seller"]) if self.cleaned_data["seller"] else None


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=10_000, widget=Textarea(attrs={"rows": 3, "placeholder": _("Write a note…")})
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
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices, widget=Select)
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        max_length=10,
        help_text=_("mm:ss or minutes"),
        widget=TextInput(attrs={"placeholder": "4:30", "inputmode": "numeric", "size": 6}),
    )
    body = forms.CharField(label=_("Note"), required=False, max_length=10_000, widget=Textarea(attrs={"rows": 2}))

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
        widget=ClearableFileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="document_%s", **kwargs)
