"""The mapping step's form: a field (or nothing) for each column of the file, and, for owners, who gets
the rows that name no seller."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.importing.columns import FIELDS
from crm.models import ImportJob

IGNORE = ""


class ImportMappingForm(forms.Form):
    assignment = forms.ChoiceField(label=_("Rows without a seller go to"), choices=ImportJob.Assignment.choices)
    assign_to = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)

    def __init__(self, data=None, *, job: ImportJob, members=None):
        initial = {f"column_{index}": field or IGNORE for index, field in enumerate(job.mapping)}
        initial.update(assignment=job.assignment, assign_to=job.assign_to_id)
        super().__init__(data, initial=initial, auto_id="mapping_%s")
        self.job = job
        choices = [(IGNORE, _("Ignore this column")), *[(code, label) for code, label in FIELDS.items()]]
        for index, header in enumerate(job.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(label=header or "—", choices=choices, required=False)
        if members is None:
            # A seller's imported leads are theirs: there is nobody to choose.
            del self.fields["assignment"]
            del self.fields["assign_to"]
        else:
            self.fields["assign_to"].choices = [
                ("", "—"),
                *[(member.user_id, member.user.full_name or member.user.email) for member in members],
            ]
        self.order_fields([f"column_{index}" for index in range(len(job.headers))])

    def column_fields(self):
        return [self[f"column_{index}"] for index in range(len(self.job.headers))]

    def mapping(self) -> list[str | None]:
        return [self.cleaned_data.get(f"column_{index}") or None for index in range(len(self.job.headers))]

    def service_kwargs(self) -> dict:
        kwargs = {"mapping": self.mapping()}
        if "assignment" in self.fields:
            kwargs.update(assignment=self.cleaned_data["assignment"], assign_to_id=self.cleaned_data["assign_to"])
        return kwargs
