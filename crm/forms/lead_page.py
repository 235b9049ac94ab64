"""Forms of the lead page's quick edits: the next step inline, and a note corrected by its author."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateTimeInput, Textarea, TextInput


class NextStepForm(forms.Form):
    next_action = forms.CharField(label=_("Next step"), required=False, max_length=160, widget=TextInput)
    next_action_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, prefix_id: str = "next", **kwargs):
        super().__init__(*args, auto_id=f"{prefix_id}_%s", **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("next_action_at") and not (data.get("next_action") or "").strip():
            self.add_error("next_action", _("Say what the next step is."))
        return data


class NoteEditForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10_000, widget=Textarea(attrs={"rows": 3}))
