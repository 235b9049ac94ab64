import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.formatting import currency_choices
from tenants.models import TIMEZONE_CHOICES, Language, MembershipStatus, Role, Tenant, User, canonical_email
from tenants.selectors import listed_tenants
from tenants.vault import CREDENTIAL_FIELDS


def _clean_canonical_email(value: str) -> str:
    email = canonical_email(value)
    if email is None:
        raise forms.ValidationError(
            _("This address contains look-alike letters (such as ſ or ı). Type it with plain letters."),
            code="lookalike",
        )
    return email


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def clean_email(self):
        return _clean_canonical_email(self.cleaned_data["email"])


class RegistrationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    tenant = forms.ModelChoiceField(label=_("Company"), queryset=Tenant.objects.none(), empty_label=_("Choose…"))
    message = forms.CharField(
        label=_("Message for the owners"),
        required=False,
        max_length=1000,
        help_text=_("Optional: who you are, who told you to join."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Repeat the password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = listed_tenants()

    def clean_email(self):
        # Whether the address has an account is not said here: the answer is the same either way (the
        # account's owner is emailed instead), so the form cannot be used to find out who has one.
        return _clean_canonical_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RequestAccessForm(forms.Form):
    tenant = forms.ModelChoiceField(label=_("Company"), queryset=Tenant.objects.none(), empty_label=_("Choose…"))
    message = forms.CharField(
        label=_("Message for the owners"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = listed_tenants()
        if user is not None:
            queryset = queryset.exclude(memberships__user=user)
        self.fields["tenant"].queryset = queryset


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", ""), *MembershipStatus.choices])


class ApproveForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SELLER)


class MemberForm(forms.Form):
    """What an owner changes about a member: the role here. Name and phone belong to the person."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Company default")), *list(Language.choices)], required=False
    )


class CurrencyField(forms.ChoiceField):
    """An ISO 4217 code among the currencies in use (Babel's list), named in the reader's language; accepted
    in any case and with stray spaces."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose a currency from the list (ISO 4217).")})
        super().__init__(choices=self._choices, **kwargs)

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        return currency_choices(get_language() or settings.LANGUAGE_CODE)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class UpperCaseChoiceField(forms.ChoiceField):
    """A code chosen from a list, also accepted typed in any case and with stray spaces."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class TenantSettingsForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIMEZONE_CHOICES,
        widget=forms.Select(attrs={"data-searchable": "", "data-search-placeholder": _("Search a city")}),
    )
    currency = CurrencyField(
        label=_("Currency"),
        help_text=_("Changing it does not convert the amounts already entered: they are read in the new currency."),
    )
    country = UpperCaseChoiceField(
        label=_("Country"),
        help_text=_("Phone numbers written without a prefix are read as this country's."),
        widget=forms.Select(attrs={"data-searchable": "", "data-search-placeholder": _("Search a country")}),
    )
    lead_assignment = forms.ChoiceField(
        label=_("New leads"),
        choices=[("manual", _("Stay unassigned")), ("round_robin", _("Round-robin among active sellers"))],
    )
    lead_value_confirm_above = forms.DecimalField(
        label=_("Ask to confirm lead values above"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("A value higher than this asks to be confirmed, to catch a slip such as 150000 for 1500.00."),
    )
    ai_enabled = forms.BooleanField(label=_("The AI agent answers WhatsApp"), required=False)
    calendar_provider = forms.ChoiceField(label=_("Calendar"), choices=Tenant.CalendarProvider.choices)
    listed = forms.BooleanField(
        label=_("Listed for public registration"),
        required=False,
        help_text=_(
            "On: the company appears on the public registration page and anyone can ask to join (an owner still "
            "approves each request). Off: people join only when invited from the Staff page."
        ),
    )

    def __init__(self, *args, **kwargs):
        from tenants.choices import country_choices, timezone_choices

        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
        self.fields["country"].choices = country_choices()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_value_confirm_above") is None:
            cleaned.pop("lead_value_confirm_above", None)  # left empty: unchanged
        return cleaned

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].upper()
        if country not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(_("“%(code)s” is not a country code.") % {"code": country})
        return country


class SecretTextarea(forms.Textarea):
    """A textarea that never renders a value, even when the form is shown again after an error."""

    def format_value(self, value):
        return None


def credential_form_class(kind: str, *, stored: bool = True) -> type[forms.Form]:
    """A form with one field per value the credential holds. Secret fields never render their value; when
    values are `stored`, they say that leaving them empty keeps what is stored."""
    fields = {}
    for field in CREDENTIAL_FIELDS[kind]:
        if field.secret:
            widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            if field.name == "service_account_json":
                widget = SecretTextarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"})
            fields[field.name] = forms.CharField(
                label=field.label,
                required=False,
                widget=widget,
                help_text=_("Leave empty to keep the stored value.") if stored else "",
            )
        elif field.choices:
            fields[field.name] = forms.ChoiceField(
                label=field.label, choices=field.choices, required=False, initial=field.choices[0][0]
            )
        else:
            fields[field.name] = forms.CharField(label=field.label, required=False, max_length=255)
    return type(f"{kind.title()}CredentialForm", (forms.Form,), fields)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
