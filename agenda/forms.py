"""Agenda forms: the staff booking dialog, moves, tasks, services, hours and time off, settings, and the
public booking page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.models import AgendaSettings, Service, WorkingHours
from agenda.selectors import selling_members

MAX_DAYS_AWAY = 3 * 365


def _clean_text(value: str) -> str:
    return (value or "").replace("\x00", "").strip()


def parse_instant(text: str, zone) -> datetime | None:
    """An ISO 8601 date-time; one without an offset is a wall-clock time in `zone`. None if unreadable."""
    text = _clean_text(str(text or ""))[:40]
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    now = timezone.now()
    if abs(moment - now) > timedelta(days=MAX_DAYS_AWAY + 400):
        return None
    return moment


def parse_day(text: str) -> date | None:
    try:
        day = date.fromisoformat(_clean_text(str(text or ""))[:10])
    except ValueError:
        return None
    today = timezone.now().date()
    if abs((day - today).days) > MAX_DAYS_AWAY + 400:
        return None
    return day


class SellerChoiceMixin:
    def seller_choices(self, tenant, membership, service: Service | None = None):
        from tenants.models import Role

        members = selling_members(tenant=tenant)
        if membership.role != Role.OWNER:
            members = {uid: name for uid, name in members.items() if uid == membership.user_id}
        if service is not None:
            offering = set(service.offered_by.values_list("seller_id", flat=True))
            members = {uid: name for uid, name in members.items() if uid in offering}
        return sorted(members.items(), key=lambda item: item[1])


class AppointmentForm(SellerChoiceMixin, forms.Form):
    """The staff booking dialog. The lead is an existing one (chosen from the search) or a new one by phone."""

    lead = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)
    phone = forms.CharField(label=_("New lead's phone"), required=False, max_length=32)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=80)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(active=True), empty_label=None)
    seller = forms.TypedChoiceField(label=_("Seller"), coerce=int, required=False, empty_value=None)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    slot = forms.CharField(label=_("Time"), max_length=40)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant, self.membership = tenant, membership
        self.fields["seller"].choices = [("", _("Any seller")), *self.seller_choices(tenant, membership)]
        if membership.role != "owner":
            self.fields["seller"].choices = self.seller_choices(tenant, membership)
            self.fields["seller"].required = True

    def clean_phone(self):
        return _clean_text(self.cleaned_data.get("phone", ""))

    def clean_first_name(self):
        return _clean_text(self.cleaned_data.get("first_name", ""))

    def clean_notes(self):
        return _clean_text(self.cleaned_data.get("notes", ""))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("lead") and not cleaned.get("phone"):
            raise forms.ValidationError(_("Choose a lead, or give a new lead's phone."))
        day = cleaned.get("day")
        if day is not None and abs((day - timezone.now().date()).days) > MAX_DAYS_AWAY:
            self.add_error("day", _("Choose a day within three years."))
        return cleaned


class MoveForm(forms.Form):
    start = forms.CharField(max_length=40)
    end = forms.CharField(max_length=40, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=160)
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, **kwargs)
        members = sorted(selling_members(tenant=tenant).items(), key=lambda item: item[1])
        if membership.role != "owner":
            members = [(uid, name) for uid, name in members if uid == membership.user_id]
        self.fields["assignee"].choices = [("", _("The lead's seller")), *members]

    def clean_title(self):
        title = _clean_text(self.cleaned_data.get("title", ""))
        if not title:
            raise forms.ValidationError(_("Give the task a title."))
        return title


class ServiceForm(forms.ModelForm):
    sellers = forms.TypedMultipleChoiceField(
        label=_("Sellers who offer it"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Service
        fields = ["name", "duration_minutes", "buffer_minutes", "price", "active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sellers"].choices = sorted(selling_members(tenant=tenant).items(), key=lambda item: item[1])
        if self.instance.pk:
            self.initial["sellers"] = list(self.instance.offered_by.values_list("seller_id", flat=True))
        self.fields["price"].min_value = 0
        self.fields["price"].max_value = 10**9

    def clean_name(self):
        name = _clean_text(self.cleaned_data.get("name", ""))
        if not name:
            raise forms.ValidationError(_("Give the service a name."))
        return name

    def clean_description(self):
        return _clean_text(self.cleaned_data.get("description", ""))


class HoursForm(forms.Form):
    """A seller's week as text, one line per day: "09:00-13:00, 15:00-18:00" (empty: not working)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in WorkingHours.Weekday.choices:
            self.fields[f"day_{value}"] = forms.CharField(
                label=label, required=False, max_length=200, help_text=_("For example 09:00-13:00, 15:00-18:00")
            )

    @staticmethod
    def format_ranges(ranges) -> str:
        return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in ranges)

    def clean(self):
        from datetime import time

        cleaned = super().clean()
        week = {}
        for value, _label in WorkingHours.Weekday.choices:
            text = _clean_text(cleaned.get(f"day_{value}", ""))
            ranges = []
            for part in [piece.strip() for piece in text.replace(";", ",").split(",") if piece.strip()]:
                try:
                    first, last = (time.fromisoformat(side.strip()) for side in part.split("-", 1))
                except ValueError:
                    self.add_error(f"day_{value}", _("Write ranges like 09:00-13:00, separated by commas."))
                    break
                if last <= first:
                    self.add_error(f"day_{value}", _("Each range must end after it starts."))
                    break
                ranges.append((first, last))
            ranges.sort()
            if any(ranges[i][1] > ranges[i + 1][0] for i in range(len(ranges) - 1)):
                self.add_error(f"day_{value}", _("Ranges of one day must not overlap."))
            week[value] = ranges
        cleaned["week"] = week
        return cleaned


class TimeOffForm(forms.Form):
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(
        label=_("To (included)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=160)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date must be on or after the start date."))
            if (end - start).days > 366:
                raise forms.ValidationError(_("Time off can last at most a year; add another range."))
            if abs((start - timezone.now().date()).days) > MAX_DAYS_AWAY:
                raise forms.ValidationError(_("Choose dates within three years."))
        cleaned["reason"] = _clean_text(cleaned.get("reason", ""))
        return cleaned


class AgendaSettingsForm(forms.ModelForm):
    class Meta:
        model = AgendaSettings
        fields = ["booking_page_enabled", "slot_minutes", "min_notice_minutes", "max_horizon_days"]


class BookingForm(forms.Form):
    """The public booking page's confirmation. `website` is a honeypot: people leave it empty."""

    slot = forms.CharField(max_length=60)
    name = forms.CharField(label=_("Your name"), max_length=120)
    phone = forms.CharField(label=_("Phone"), max_length=32)
    email = forms.EmailField(label=_("Email (optional)"), required=False, max_length=200)
    website = forms.CharField(required=False, max_length=200)

    def clean_name(self):
        name = _clean_text(self.cleaned_data.get("name", ""))
        if not name:
            raise forms.ValidationError(_("Tell us your name."))
        return name

    def clean_phone(self):
        return _clean_text(self.cleaned_data.get("phone", ""))
