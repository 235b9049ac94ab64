"""Phone numbers: everything is stored in E.164; search matches digits whatever the format typed."""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _
from unidecode import unidecode

from core.errors import ApplicationError

_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str, *, region: str = "ES") -> str:
    """'+34 612 34 56 78', '0034612345678' or '612345678' (with region ES) -> '+34612345678'."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ApplicationError(_("“%(phone)s” is not a phone number.") % {"phone": raw}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ApplicationError(_("“%(phone)s” is not a valid phone number.") % {"phone": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text or "")


def fold(text: str) -> str:
    """Lower-case, accent-free: 'José Ñúñez' -> 'jose nunez'."""
    return unidecode(text or "").lower().strip()


_WORDS = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The accent-free, lower-case alphanumeric words of a text: 'José.Núñez@x.com' -> jose nunez x com."""
    return _WORDS.findall(fold(text))


def phone_tokens(phone: str) -> list[str]:
    """Digits of an E.164 number and every tail of its national number from 3 digits on, so that a
    word-prefix search finds any run of digits typed: '+34612345678' -> 34612345678 612345678 12345678 …"""
    full = digits(phone)
    if not full:
        return []
    try:
        national = str(phonenumbers.parse(phone, None).national_number)
    except phonenumbers.NumberParseException:
        national = full
    return [full, *(national[start:] for start in range(len(national) - 2))]


def search_text_for(*, first_name: str, last_name: str, email: str, company: str, phone: str) -> str:
    """What search matches against (indexed as a tsvector): words of the name, email and company, and
    the phone's digit tokens."""
    return " ".join([*words(first_name), *words(last_name), *words(email), *words(company), *phone_tokens(phone)])
