"""Forms of the product pages: the product, the list's search, the CSV upload."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms.documents import NumberField
from crm.services.products import MAX_IMPORT_BYTES


class ProductForm(forms.Form):
    """A plain form: the product changes only through its services (audited, unique reference)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(label=_("Internal reference"), max_length=64, required=False, help_text=_("SKU"))
    description = forms.CharField(
        label=_("Description"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    unit_price = NumberField(label=_("Unit price"), places=4, minimum=Decimal(0), maximum=Decimal("9999999999"))
    tax_rate = NumberField(label=_("Tax rate (%)"), places=3, minimum=Decimal(0), maximum=Decimal(100))
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False, help_text=_("For example: unit, hour, kg."))
    active = forms.BooleanField(label=_("Active (offered on new lines)"), required=False, initial=True)


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    show = forms.ChoiceField(
        required=False,
        choices=[("", _("Active products")), ("archived", _("Archived products")), ("all", _("All products"))],
    )

    def __init__(self, data):
        super().__init__(data, auto_id="filter_%s")
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(placeholder=_("Name or reference"), autocomplete="off")

    def values(self) -> tuple[str, str]:
        self.is_valid()
        return self.cleaned_data.get("q") or "", self.cleaned_data.get("show") or ""


class ProductImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("A .csv file of at most 2 MB."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB. Split it into smaller files."))
        return upload
