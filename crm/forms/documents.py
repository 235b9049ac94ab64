"""Forms of the sales document pages: the list's filters, a draft's header and lines, payments, the company's
document settings."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.documents_math import MAX_AMOUNT, parse_decimal
from crm.models import DocumentSettings, Payment, SalesDocument
from crm.selectors.sales_documents import SORTS, DocumentFilters

UNASSIGNED = "none"
SORT_CHOICES = [(key, key) for name in SORTS for key in (name, f"-{name}")]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NumberField(forms.Field):
    """A decimal number as people type it ('1.234,5', '1234.5', '12,5'), with at most `places` decimals,
    between `minimum` and `maximum`."""

    widget = forms.TextInput

    def __init__(self, *, places: int = 2, minimum=None, maximum=None, **kwargs):
        super().__init__(**kwargs)
        self.places, self.minimum, self.maximum = places, minimum, maximum
        self.widget.attrs.update(inputmode="decimal", autocomplete="off", maxlength="32")

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            if len(text) > 32:
                raise ValueError(text)
            number = parse_decimal(text, places=self.places)
        except ValueError:
            raise forms.ValidationError(_("Enter a number, like 1234.50."), code="invalid") from None
        if self.minimum is not None and number < self.minimum:
            raise forms.ValidationError(_("Enter %(min)s or more.") % {"min": self.minimum}, code="min_value")
        if self.maximum is not None and number > self.maximum:
            raise forms.ValidationError(_("Enter %(max)s or less.") % {"max": self.maximum}, code="max_value")
        return number


class DocumentFilterForm(forms.Form):
    """The list's query string. Anything that does not validate is ignored rather than refused."""

    kind = forms.ChoiceField(label=_("Type"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    lead = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)
    seller = forms.ChoiceField(label=_("Seller"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    amount_min = NumberField(label=_("Total from"), required=False, minimum=Decimal(0), maximum=MAX_AMOUNT)
    amount_max = NumberField(label=_("Total up to"), required=False, minimum=Decimal(0), maximum=MAX_AMOUNT)
    sync = forms.ChoiceField(label=_("Sync"), required=False)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, data, *, members=None, sync_choices=()):
        super().__init__(data, auto_id="filter_%s")
        self.fields["kind"].choices = [("", _("All types")), *SalesDocument.Kind.choices]
        self.fields["state"].choices = [("", _("Any state")), *SalesDocument.State.choices]
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(placeholder=_("Number or customer"), autocomplete="off")
        self.fields["amount_min"].widget.attrs.update(placeholder=_("Total from"), size=8)
        self.fields["amount_max"].widget.attrs.update(placeholder=_("Total up to"), size=8)
        if members is None:
            del self.fields["seller"]
        else:
            self.fields["seller"].choices = [
                ("", _("Any seller")),
                (UNASSIGNED, _("No seller")),
                *((str(m.user_id), m.user.get_full_name() or m.user.email) for m in members),
            ]
        if sync_choices:
            self.fields["sync"].choices = [("", _("Any sync state")), *sync_choices]
        else:
            del self.fields["sync"]

    def filters(self) -> DocumentFilters:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        seller = data.get("seller") or ""
        return DocumentFilters(
            kind=data.get("kind") or "",
            state=data.get("state") or "",
            search=data.get("q") or "",
            lead_id=data.get("lead"),
            seller_id=0 if seller == UNASSIGNED else (int(seller) if seller.isdecimal() else None),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            sync_state=data.get("sync") or "",
            sort=data.get("sort") or "-date",
        )


class DocumentHeaderForm(forms.Form):
    customer_name = forms.CharField(label=_("Customer"), max_length=200, required=False)
    customer_details = forms.CharField(
        label=_("Customer address and tax id"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE_INPUT)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, document: SalesDocument, **kwargs):
        super().__init__(*args, **kwargs)
        if document.kind == SalesDocument.Kind.QUOTE:
            self.fields["due_date"].label = _("Valid until")
        elif document.kind not in (SalesDocument.Kind.INVOICE,):
            del self.fields["due_date"]


class LineForm(forms.Form):
    """One line's values as typed in its row."""

    description = forms.CharField(max_length=2000, required=False)
    quantity = NumberField(places=3, minimum=Decimal("0.001"), maximum=Decimal("999999999"))
    unit = forms.CharField(max_length=20, required=False)
    unit_price = NumberField(places=4, minimum=Decimal(0), maximum=Decimal("9999999999"))
    discount = NumberField(places=2, minimum=Decimal(0), maximum=Decimal(100), required=False)
    tax_rate = NumberField(places=3, minimum=Decimal(0), maximum=Decimal(100), required=False)

    def __init__(self, *args, delivery: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if delivery:
            for name in ("unit", "unit_price", "discount", "tax_rate"):
                del self.fields[name]

    def values(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value is not None}


class PaymentForm(forms.Form):
    amount = NumberField(label=_("Amount"), places=4, minimum=Decimal("0.0001"), maximum=MAX_AMOUNT)
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class DocumentSettingsForm(forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = [
            "legal_name", "address", "tax_id", "email", "phone", "bank_details", "payment_terms_days",
            "quote_validity_days", "default_tax_rate", "tax_rounding", "footer",
        ]  # fmt: skip
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "footer": forms.Textarea(attrs={"rows": 2})}
