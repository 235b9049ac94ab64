"""Signed links a lead gets after booking on the public page, to cancel or reschedule.

The token signs the appointment id and its `link_version` with a timestamp (Django's signing, salted per
company). A tampered token is refused; one older than LINK_MAX_AGE has expired; every change made through
a link bumps the version, so an earlier link cannot be replayed."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from agenda.models import Appointment

LINK_MAX_AGE = 60 * 60 * 24 * 120  # seconds: longer than the booking horizon


def _signer(schema_name: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"agenda.booking-link:{schema_name}")


def make_token(*, schema_name: str, appointment: Appointment) -> str:
    return _signer(schema_name).sign_object({"a": appointment.pk, "v": appointment.link_version}, compress=True)


@dataclass(frozen=True)
class LinkCheck:
    appointment: Appointment | None
    problem: str = ""  # "invalid", "expired", "used"


def check_token(*, schema_name: str, token: str) -> LinkCheck:
    try:
        payload = _signer(schema_name).unsign_object(str(token)[:500], max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return LinkCheck(None, "expired")
    except (signing.BadSignature, ValueError, TypeError):
        return LinkCheck(None, "invalid")
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), int) or not isinstance(payload.get("v"), int):
        return LinkCheck(None, "invalid")
    appointment = Appointment.objects.select_related("service", "lead").filter(pk=payload["a"]).first()
    if appointment is None:
        return LinkCheck(None, "invalid")
    if appointment.link_version != payload["v"]:
        return LinkCheck(None, "used")
    return LinkCheck(appointment)
