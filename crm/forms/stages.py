"""Forms of the owners' stage settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Stage


class StageNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=60)


class StageCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices, initial=Stage.Kind.OPEN)


class StageProbabilityForm(forms.Form):
    win_probability = forms.IntegerField(label=_("Win probability (%)"), min_value=0, max_value=100)


class StageRottingForm(forms.Form):
    rotting_days = forms.IntegerField(label=_("Rotting after (days)"), required=False, min_value=1, max_value=3650)


class StageDeleteForm(forms.Form):
    """Where the leads of a deleted stage go: another stage of the same kind."""

    move_to = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)
