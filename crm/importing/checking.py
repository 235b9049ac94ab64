"""Reading one spreadsheet row into a lead. Only a row without a usable phone is rejected; every other
problem is fixed the safe way (the value left empty, the default stage, the company's assignment rule,
a text cut to its length) and the row is imported with a warning that says so. No queries here: the
import service passes in the stages, the people who can own leads and the company's settings."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.phones import normalize_phone
from crm.csvfiles import parse_amount
from crm.importing.columns import FIELDS, fold
from crm.models import Lead, Stage

_SCORES = {
    "hot": "hot", "caliente": "hot", "chaud": "hot",
    "warm": "warm", "templado": "warm", "tibio": "warm", "tiede": "warm",
    "cold": "cold", "frio": "cold", "froid": "cold",
}  # fmt: skip
_LANGUAGES = {
    "es": "es", "spanish": "es", "espanol": "es", "castellano": "es", "espagnol": "es",
    "en": "en", "english": "en", "ingles": "en", "anglais": "en",
    "fr": "fr", "french": "fr", "frances": "fr", "francais": "fr",
}  # fmt: skip
_SOURCES = {
    "facebook": "meta_ads", "instagram": "meta_ads", "meta": "meta_ads", "facebook_ads": "meta_ads",
    "web": "website", "web_site": "website", "sitio_web": "website", "pagina_web": "website", "site_web": "website",
    "site_internet": "website", "referido": "referral", "recomendacion": "referral", "parrainage": "referral",
    "recommandation": "referral", "importacion": "import", "importation": "import",
}  # fmt: skip
_STAGE_KINDS = {
    "won": Stage.Kind.WON, "ganado": Stage.Kind.WON, "ganada": Stage.Kind.WON, "gagne": Stage.Kind.WON,
    "lost": Stage.Kind.LOST, "perdido": Stage.Kind.LOST, "perdida": Stage.Kind.LOST, "perdu": Stage.Kind.LOST,
}  # fmt: skip
_KEY = re.compile(r"[^a-z0-9]+")
# Text fields copied as they are (within the model's length).
TEXT_FIELDS = (
    "company", "score_reason", "notes", "next_action", "lost_reason", "meta_campaign_id", "meta_adset_id",
    "meta_ad_id", "ad_headline", "ad_body", "click_id", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content",
)  # fmt: skip
DATE_FIELDS = ("next_action_at", "last_contact_at", "created_at", "closed_at")
# Set on the lead after it is created (lead_create does not take them).
AFTER_CREATE_FIELDS = ("last_contact_at", "created_at", "closed_at", "lost_reason")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
)  # fmt: skip


def _key(text: str) -> str:
    return _KEY.sub("_", fold(text)).strip("_")


def parse_when(text: str, zone: zoneinfo.ZoneInfo) -> datetime:
    """'2026-03-05 14:30', '2026-03-05T14:30:00+01:00', '05/03/2026' (day first, as Spanish and French
    spreadsheets write it) -> an aware datetime, read in `zone` when it carries no offset."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                value = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(text) from None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value


@dataclass(frozen=True)
class Person:
    """Someone who can own leads: how a row may name them."""

    user_id: int
    email: str
    name: str


@dataclass
class RowCheck:
    """One data row, read: what lead_create receives (and what is set on the lead afterwards), why it
    cannot be imported (`errors`), or what was fixed to import it (`warnings`)."""

    number: int
    values: dict[str, str]
    phone: str = ""
    fields: dict = dc_field(default_factory=dict)
    after: dict = dc_field(default_factory=dict)
    stage: Stage | None = None
    seller_id: int | None = None
    tags: list[str] = dc_field(default_factory=list)
    errors: list[str] = dc_field(default_factory=list)
    warnings: list[str] = dc_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _stage_names(stages: list[Stage]) -> dict[str, Stage]:
    """Every name a stage goes by: its key, its own name, its default name in each language, and for the
    first won and lost stage the bare words won/lost in each language."""
    names: dict[str, Stage] = {}
    for stage in stages:
        for name in (stage.key, stage.name):
            if name:
                names.setdefault(_key(name), stage)
        if stage.key in Stage.DEFAULT_NAMES:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    names.setdefault(_key(str(Stage.DEFAULT_NAMES[stage.key])), stage)
    for word, kind in _STAGE_KINDS.items():
        first = next((stage for stage in stages if stage.kind == kind), None)
        if first is not None:
            names.setdefault(word, first)
    return names


def _source_names() -> dict[str, str]:
    names = dict(_SOURCES)
    for code in Lead.Source.values:
        names[code] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in Lead.Source.choices:
                names.setdefault(_key(str(label)), code)
    return names


class RowChecker:
    """Reads rows against everything but the database: phone, email, amounts, dates, choices, lengths,
    the stage and seller by any of their names."""

    def __init__(
        self,
        *,
        region: str,
        stages: list[Stage],
        people: list[Person] = (),
        zone: zoneinfo.ZoneInfo | None = None,
        value_limit: Decimal | None = None,
        currency: str = "",
    ):
        self.region = region
        self.stages = _stage_names(stages)
        self.people_by_email = {person.email.lower(): person for person in people}
        self.people_by_name: dict[str, Person | None] = {}
        for person in people:
            key = _key(person.name)
            # Two people with the same name: the name alone cannot tell them apart.
            self.people_by_name[key] = None if key in self.people_by_name else person
        self.sources = _source_names()
        self.zone = zone or zoneinfo.ZoneInfo("UTC")
        self.value_limit = value_limit
        self.currency = currency
        self.lengths = {f.name: f.max_length for f in Lead._meta.fields if getattr(f, "max_length", None)}
        self.lengths["notes"] = 10_000
        self.lengths["ad_body"] = 10_000

    def check(self, number: int, values: dict[str, str]) -> RowCheck:
        row = RowCheck(number=number, values=values)
        self._phone(row, values.get("phone", ""))
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if not first and not last and values.get("full_name"):
            first, _space, last = values["full_name"].partition(" ")
        row.fields.update(first_name=first.strip(), last_name=last.strip())
        for name in TEXT_FIELDS:
            if values.get(name):
                row.fields[name] = values[name]
        self._lengths(row)
        self._email(row, values.get("email", ""))
        self._amount(row, values.get("expected_value", ""))
        self._choices(row, values)
        self._dates(row, values)
        self._seller(row, values.get("seller", ""))
        for name in AFTER_CREATE_FIELDS:
            if name in row.fields:
                row.after[name] = row.fields.pop(name)
        row.tags = [tag.strip() for tag in re.split(r"[,;|]", values.get("tags", "")) if tag.strip()]
        return row

    def phone_errors(self, values: dict[str, str]) -> list[str]:
        """What rejects a row: the only check the rejected-rows download needs to repeat."""
        row = RowCheck(number=0, values=values)
        self._phone(row, values.get("phone", ""))
        return row.errors

    def _phone(self, row: RowCheck, raw: str) -> None:
        if not raw:
            row.errors.append(_("The phone is missing."))
            return
        try:
            row.phone = normalize_phone(raw, region=self.region)
        except ApplicationError as error:
            row.errors.append(error.message)

    def _lengths(self, row: RowCheck) -> None:
        for name, value in list(row.fields.items()):
            limit = self.lengths.get(name)
            if limit and len(value) > limit:
                row.fields[name] = value[:limit]
                row.warnings.append(
                    _("%(field)s was cut to %(max)s characters.") % {"field": FIELDS.get(name, name), "max": limit}
                )

    def _email(self, row: RowCheck, email: str) -> None:
        if not email:
            return
        try:
            validate_email(email)
        except ValidationError:
            row.warnings.append(_("“%(email)s” is not a valid email address: left empty.") % {"email": email})
        else:
            row.fields["email"] = email.lower()

    def _amount(self, row: RowCheck, text: str) -> None:
        if not text:
            return
        try:
            amount = parse_amount(text)
        except (ValueError, ArithmeticError):
            row.warnings.append(_("“%(value)s” is not an amount: the value was left at 0.") % {"value": text})
            return
        row.fields["expected_value"] = amount
        if self.value_limit is not None and amount > self.value_limit:
            row.warnings.append(
                _("The value %(value)s is above %(limit)s %(currency)s: check it is right.")
                % {
                    "value": number_format(amount, 2, use_l10n=True, force_grouping=True),
                    "limit": number_format(self.value_limit, 0, use_l10n=True, force_grouping=True),
                    "currency": self.currency,
                }
            )

    def _choices(self, row: RowCheck, values: dict[str, str]) -> None:
        if values.get("score"):
            score = _SCORES.get(_key(values["score"]))
            if score is None:
                row.warnings.append(
                    _("“%(value)s” is not a score (hot, warm or cold): left empty.") % {"value": values["score"]}
                )
            row.fields["score"] = score or ""
        if values.get("language"):
            language = _LANGUAGES.get(_key(values["language"]))
            if language is None:
                row.warnings.append(
                    _("“%(value)s” is not a known language: left empty.") % {"value": values["language"]}
                )
            row.fields["language"] = language or ""
        if values.get("source"):
            source = self.sources.get(_key(values["source"]))
            if source is None:
                row.warnings.append(
                    _("“%(value)s” is not a known source: recorded as Import.") % {"value": values["source"]}
                )
            row.fields["source"] = source or Lead.Source.IMPORT
        if values.get("stage"):
            row.stage = self.stages.get(_key(values["stage"]))
            if row.stage is None:
                row.warnings.append(
                    _("There is no stage called “%(value)s”: the lead starts in the first stage.")
                    % {"value": values["stage"]}
                )

    def _dates(self, row: RowCheck, values: dict[str, str]) -> None:
        now = timezone.now()
        for name in DATE_FIELDS:
            text = values.get(name, "")
            if not text:
                continue
            try:
                when = parse_when(text, self.zone)
            except (ValueError, OverflowError):
                row.warnings.append(
                    _("“%(value)s” is not a date (%(field)s): left empty.") % {"value": text, "field": FIELDS[name]}
                )
                continue
            if name != "next_action_at" and when > now:
                row.warnings.append(
                    _("%(field)s “%(value)s” is in the future: left empty.") % {"value": text, "field": FIELDS[name]}
                )
                continue
            row.fields[name] = when

    def _seller(self, row: RowCheck, text: str) -> None:
        text = text.strip()
        if not text:
            return
        person = self.people_by_email.get(text.lower()) or self.people_by_name.get(_key(text))
        if person is None:
            row.warnings.append(
                _("No active seller is called “%(value)s”: the lead is assigned by the import's rule.")
                % {"value": text}
            )
            return
        row.seller_id = person.user_id
