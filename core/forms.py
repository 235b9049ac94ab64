"""Form pieces shared by every app's pages."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

FILTER_DATE_MIN = date(1900, 1, 1)
FILTER_DATE_MAX = date(2999, 12, 31)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """Django's Select with the same markup, written without the template engine: a select renders two
    templates per option (the option, its attributes), about 70 µs each, and a page of filters and bulk
    actions has sixty options."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return SafeString("".join(parts))


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html."""
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>\n"
    )


class TextInput(forms.TextInput):
    """Django's TextInput with the same markup, written without its two templates (see Select)."""

    def render(self, name, value, attrs=None, renderer=None):
        return SafeString(_input(self.get_context(name, value, attrs)["widget"]))


class DateTimeInput(forms.DateTimeInput):
    """Django's DateTimeInput with the same markup, written without its three templates."""

    def render(self, name, value, attrs=None, renderer=None):
        return SafeString(_input(self.get_context(name, value, attrs)["widget"]))


class Textarea(forms.Textarea):
    """Django's Textarea with the same markup, written without its two templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        text = conditional_escape(widget["value"]) if widget["value"] else ""
        return SafeString(
            f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>\n'
        )


class ClearableFileInput(forms.ClearableFileInput):
    """Django's ClearableFileInput with the same markup when no file is there yet (a form that uploads one),
    written without its two templates; with a current file, Django's templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if widget["is_initial"]:
            return super().render(name, value, attrs, renderer)
        return SafeString(
            f'\n<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f"{_attrs(widget['attrs'])}>\n"
        )


def form_fields(form) -> SafeString:
    """What templates/partials/_form.html writes for `form` (its errors, hidden fields, then each visible
    field in a `.field` box with its label, help and errors), without a template: `{% form_fields form %}`
    (core_forms) where a page renders several forms and the include's loops show up in its time."""
    parts = []
    errors = form.non_field_errors()
    if errors:
        items = "".join(f"<p>{conditional_escape(error)}</p>" for error in errors)
        parts.append(f'<div class="form-errors" role="alert">{items}</div>')
    parts.extend(str(field) for field in form.hidden_fields())
    for field in form.visible_fields():
        check = field.widget_type == "checkbox"
        css = "field" + (" has-error" if field.errors else "") + (" field-check" if check else "")
        label = f'<label for="{conditional_escape(str(field.id_for_label))}">{conditional_escape(field.label)}</label>'
        body = f"{field} {label}" if check else f"{label} {field}"
        help_text = f'<small class="help">{conditional_escape(field.help_text)}</small>' if field.help_text else ""
        errors = "".join(f'<small class="error">{conditional_escape(error)}</small>' for error in field.errors)
        parts.append(f'\n  <div class="{css}">\n    {body}\n    {help_text}\n    {errors}\n  </div>\n')
    return SafeString("".join(parts))


class FilterDateField(forms.DateField):
    """A date a list is filtered by, from 1900 to 2999: far enough for any real filter, and far enough from
    the ends of the calendar that "the day after" or a time zone's offset never runs past them (9999-12-31
    plus one day is a server error, not an answer)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"type": "date", "min": FILTER_DATE_MIN.isoformat(), "max": FILTER_DATE_MAX.isoformat()},
                format="%Y-%m-%d",
            ),
        )
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not FILTER_DATE_MIN <= value <= FILTER_DATE_MAX:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={"first": FILTER_DATE_MIN.isoformat(), "last": FILTER_DATE_MAX.isoformat()},
            )


class AuditFilterForm(forms.Form):
    """The audit log's filters (query string names: action, actor, object_type, from, to)."""

    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    object_type = forms.CharField(label=_("Object"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = FilterDateField(label=_("From"))
        self.fields["to"] = FilterDateField(label=_("To"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."), code="range")
        return cleaned
