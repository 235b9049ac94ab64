"""The CSV upload form of lead imports."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.csvfiles import MAX_IMPORT_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Up to 5 MB. One lead per row, with a header row; a phone column is required."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a .csv file (in your spreadsheet: File › Save as › CSV)."))
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB. Split it into smaller files."))
        return upload
