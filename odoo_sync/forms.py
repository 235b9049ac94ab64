"""Forms of the Odoo sync pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_AT_ONCE = 200


class DocumentIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        ids = []
        for raw in value or []:
            try:
                number = int(str(raw).strip())
            except ValueError:
                raise ValidationError(_("Unknown document."), code="invalid") from None
            if not 0 < number < 2**63:
                raise ValidationError(_("Unknown document."), code="invalid")
            ids.append(number)
        return list(dict.fromkeys(ids))

    def validate(self, value) -> None:
        if not value:
            raise ValidationError(_("Choose at least one document."), code="required")
        if len(value) > MAX_AT_ONCE:
            raise ValidationError(_("Send at most %(count)s documents at once.") % {"count": MAX_AT_ONCE}, code="max")


class SendForm(forms.Form):
    ids = DocumentIdsField(required=True)
    next = forms.CharField(required=False, max_length=500)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
