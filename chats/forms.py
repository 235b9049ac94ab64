"""Forms of the chats settings: connecting a WhatsApp provider, the test message, quick replies."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chats.models import QuickReply


class CloudApiForm(forms.Form):
    phone_number_id = forms.CharField(label=_("Phone number id"), max_length=64)
    display_phone = forms.CharField(
        label=_("Phone number"), max_length=32, help_text=_("As leads see it, e.g. +34 600 000 000")
    )
    business_account_id = forms.CharField(label=_("Business account id"), max_length=64)
    access_token = forms.CharField(
        label=_("Access token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one."),
    )
    app_secret = forms.CharField(
        label=_("App secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one."),
    )
    verify_token = forms.CharField(
        label=_("Webhook verify token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Any long random text; paste the same in Meta's console."),
    )

    def clean_phone_number_id(self):
        value = self.cleaned_data["phone_number_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("The phone number id is the number Meta shows under the phone, digits only."))
        return value


class YCloudForm(forms.Form):
    phone_number = forms.CharField(
        label=_("WhatsApp number"), max_length=32, help_text=_("In international format, e.g. +34600000000")
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one."),
    )
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored one."),
    )

    def clean_phone_number(self):
        value = self.cleaned_data["phone_number"].strip().replace(" ", "")
        digits = value.lstrip("+")
        if not digits.isdigit() or len(digits) < 8:
            raise forms.ValidationError(_("Write the number in international format, e.g. +34600000000."))
        return "+" + digits


class TestMessageForm(forms.Form):
    provider = forms.ChoiceField(label=_("Number"), choices=())
    phone = forms.CharField(label=_("Send to"), max_length=20, help_text=_("Your own WhatsApp number"))

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(n.provider, f"{n.display_phone} ({n.provider})") for n in numbers]


class QuickReplyForm(forms.ModelForm):
    class Meta:
        model = QuickReply
        fields = ["title", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "maxlength": 1000})}
