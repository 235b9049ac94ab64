"""Phone numbers, for every app: one canonical E.164 form per line, whoever writes the number.

A lead typed by a person and a message from WhatsApp must meet on one lead, so the number a person
types (in any format, with or without the country prefix) and the id WhatsApp sends ("wa_id": the
international number's digits without '+') normalise to the same string. libphonenumber
(`phonenumbers`) parses and validates; on top of it, the countries where the same line is written in
several international forms get one canonical form:

- Mexico (+52): mobiles lost their extra '1' in 2019 and numbers are ten digits everywhere, but
  WhatsApp still sends `521` + ten digits and people still type `+52 1 55 …`. Canonical: +52 and the
  ten digits, without the '1'. The old national prefixes are dropped too: 044 and 045 (mobile, local and
  long distance) and 01 (long distance) before the ten digits.
- Argentina (+54): a mobile's international form has a '9' after +54 (+54 9 11 1234 5678, which is
  what WhatsApp sends), its national form a '15' after the area code (011 15 1234 5678), and people
  also write it like a landline (+54 11 1234 5678). The ten digits of area code and number name one
  line (fixed and mobile numbers are allocated in separate blocks), so canonical is the mobile form
  +54 9 + area + number whenever that is a valid number. A landline is therefore stored with the 9 too:
  the price of never splitting a WhatsApp contact in two, in a CRM whose leads write from mobiles.
- Every other country (Spain, Colombia, Chile, Peru, the US, France, ...): libphonenumber's E.164.

Search matches digits, whatever the format typed (`phone_tokens`)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext as _

from core.errors import ApplicationError

_NON_DIGITS = re.compile(r"\D+")
# Longer than any formatted number people type; the rest is not a phone number.
MAX_INPUT_LENGTH = 40

MEXICO, ARGENTINA = 52, 54
_MX_NATIONAL_PREFIXES = ("044", "045", "01")


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text or "")


def _not_a_number(raw: str) -> ApplicationError:
    return ApplicationError(_("“%(phone)s” is not a phone number.") % {"phone": raw})


def _invalid(raw: str) -> ApplicationError:
    return ApplicationError(_("“%(phone)s” is not a valid phone number.") % {"phone": raw})


def _national_digits(number: phonenumbers.PhoneNumber) -> str:
    """The national significant number as typed, leading zeros included ('044 55 …' keeps its 0)."""
    zeros = "0" * (number.number_of_leading_zeros or 1) if number.italian_leading_zero else ""
    return f"{zeros}{number.national_number}"


def _with_national(number: phonenumbers.PhoneNumber, national: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(f"+{number.country_code}{national}", None)


def _mexican(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    national = _national_digits(number)
    if len(national) == 11 and national.startswith("1"):
        return _with_national(number, national[1:])
    for prefix in _MX_NATIONAL_PREFIXES:
        if len(national) == 10 + len(prefix) and national.startswith(prefix):
            return _with_national(number, national[len(prefix) :])
    return number


def _argentine(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    national = _national_digits(number)
    if not phonenumbers.is_valid_number(number) and national.startswith("9"):
        # +54 9 11 15 1234 5678: both mobile marks at once. The national form's rules drop the 15.
        try:
            number = phonenumbers.parse("0" + national[1:], "AR")
        except phonenumbers.NumberParseException:
            return number
        national = _national_digits(number)
    if len(national) == 10 and not national.startswith("9"):
        mobile = _with_national(number, "9" + national)
        if phonenumbers.is_valid_number(mobile):
            return mobile
    return number


def normalize_phone(raw: str, *, region: str) -> str:
    """The canonical E.164 of a number typed in any format: '+34 612 34 56 78', '0034612345678', or
    '612345678' read with `region` 'ES', all give '+34612345678'. `region` (a two-letter country code,
    the company's country) reads numbers written without a country prefix; empty, only international
    numbers are accepted. The per-country rules are in this module's docstring: '+52 1 55 1234 5678' and
    '55 1234 5678' in MX give '+525512345678'; '+54 11 1234 5678', '+54 9 11 1234 5678' and
    '011 15 1234 5678' in AR give '+5491112345678'. Raises ApplicationError, with a message for the person
    who typed it, when it is not a valid number."""
    text = (raw or "").strip()
    if len(text) > MAX_INPUT_LENGTH or "\x00" in text:
        raise _not_a_number(raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
        if number.country_code == MEXICO:
            number = _mexican(number)
        elif number.country_code == ARGENTINA:
            number = _argentine(number)
    except phonenumbers.NumberParseException as exc:
        raise _not_a_number(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise _invalid(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def whatsapp_wa_id_to_e164(wa_id: str) -> str:
    """The canonical E.164 of the number WhatsApp identifies a contact by: its digits without '+'
    ('5215512345678' -> '+525512345678', '5491112345678' -> '+5491112345678', '34612345678' ->
    '+34612345678'). Raises ApplicationError when it is not the digits of a valid number."""
    text = (wa_id or "").strip().removeprefix("+")
    if not text.isdigit() or not text.isascii():
        raise _not_a_number(wa_id)
    return normalize_phone("+" + text, region="")


@lru_cache(maxsize=8192)
def format_international(value: str) -> str:
    """An E.164 number as people read it: '+34 612 34 56 78'. Anything that does not parse stays as is."""
    text = (value or "").strip()
    if not text.startswith("+"):
        return text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


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
