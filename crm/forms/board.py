"""Forms of the pipeline board: its filters and a card dropped on another column."""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crm.forms.common import seller_choices
from crm.forms.detail import StageChangeForm
from crm.models import Lead, Stage
from crm.selectors.leads import LeadFilters, assignable_members
from tenants.models import Membership, Role

UNASSIGNED = "0"


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
            choices = seller_choices(assignable_members(tenant=membership.tenant), blank=_("All sellers"))
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


class MoveForm(StageChangeForm):
    """A card dropped on another column of the board."""

    lead = forms.IntegerField(min_value=1)
    from_stage = forms.IntegerField(min_value=1, required=False)


class UndoForm(forms.Form):
    """The undo button of a move's toast: the stage entry the move wrote."""

    entry = forms.IntegerField(min_value=1)


class QuickAddForm(forms.Form):
    """A lead typed at the top of a board column: a name and a phone."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.filter(kind=Stage.Kind.OPEN), widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=160)
    phone = forms.CharField(label=_("Phone"), max_length=40)
