"""Phone numbers: every way a person types a number, and the way WhatsApp sends it, meet on one E.164."""

import pytest
from django.utils import translation

from core.errors import ApplicationError
from core.phones import format_international, normalize_phone, phone_tokens, whatsapp_wa_id_to_e164

# (typed, company's country, canonical E.164)
VARIANTS = [
    # Spain
    ("+34 612 34 56 78", "ES", "+34612345678"),
    ("0034 612 345 678", "ES", "+34612345678"),
    ("612345678", "ES", "+34612345678"),
    ("612-34-56-78", "FR", "+33612345678"),  # without a prefix, the company's country decides
    ("+34612345678", "FR", "+34612345678"),
    ("+34 810 12 34 56", "", "+34810123456"),
    # Mexico: ten digits after +52; the old mobile '1' and national prefixes are dropped
    ("+52 55 1234 5678", "", "+525512345678"),
    ("+52 1 55 1234 5678", "", "+525512345678"),
    ("+521 55 1234 5678", "ES", "+525512345678"),
    ("0052 1 55 1234 5678", "ES", "+525512345678"),
    ("55 1234 5678", "MX", "+525512345678"),
    ("1 55 1234 5678", "MX", "+525512345678"),
    ("044 55 1234 5678", "MX", "+525512345678"),
    ("045 55 1234 5678", "MX", "+525512345678"),
    ("01 55 1234 5678", "MX", "+525512345678"),
    ("(222) 123 4567", "MX", "+522221234567"),
    # Argentina: the mobile form with its 9, as WhatsApp writes it
    ("+54 9 11 1234 5678", "", "+5491112345678"),
    ("+54 11 1234 5678", "", "+5491112345678"),
    ("+54 11 15 1234 5678", "", "+5491112345678"),
    ("+54 9 11 15 1234 5678", "", "+5491112345678"),
    ("011 15 1234 5678", "AR", "+5491112345678"),
    ("11 15 1234 5678", "AR", "+5491112345678"),
    ("011 1234 5678", "AR", "+5491112345678"),
    ("9 11 1234 5678", "AR", "+5491112345678"),
    ("+54 351 412 3456", "", "+5493514123456"),
    ("0351 15 412 3456", "AR", "+5493514123456"),
    # Colombia
    ("+57 300 123 4567", "", "+573001234567"),
    ("300 123 4567", "CO", "+573001234567"),
    ("(601) 234 5678", "CO", "+576012345678"),
    # Chile
    ("+56 9 6123 4567", "", "+56961234567"),
    ("9 6123 4567", "CL", "+56961234567"),
    ("(2) 2123 4567", "CL", "+56221234567"),
    # Peru
    ("+51 912 345 678", "", "+51912345678"),
    ("912 345 678", "PE", "+51912345678"),
    ("(01) 123 4567", "PE", "+5111234567"),
    # United States
    ("+1 415 555 0123", "", "+14155550123"),
    ("(415) 555-0123", "US", "+14155550123"),
    ("415.555.0123", "US", "+14155550123"),
    # France
    ("+33 6 12 34 56 78", "", "+33612345678"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("0033 1 23 45 67 89", "ES", "+33123456789"),
]


@pytest.mark.parametrize(("typed", "region", "canonical"), VARIANTS)
def test_every_way_of_typing_a_number_gives_its_canonical_e164(typed, region, canonical):
    assert normalize_phone(typed, region=region) == canonical


@pytest.mark.parametrize(
    ("wa_id", "canonical"),
    [
        ("34612345678", "+34612345678"),
        ("5215512345678", "+525512345678"),
        ("525512345678", "+525512345678"),
        ("5491112345678", "+5491112345678"),
        ("573001234567", "+573001234567"),
        ("56961234567", "+56961234567"),
        ("51912345678", "+51912345678"),
        ("14155550123", "+14155550123"),
        ("33612345678", "+33612345678"),
    ],
)
def test_whatsapp_ids_meet_the_numbers_people_type(wa_id, canonical):
    assert whatsapp_wa_id_to_e164(wa_id) == canonical


def test_a_whatsapp_contact_and_a_typed_lead_are_the_same_number():
    assert whatsapp_wa_id_to_e164("5215512345678") == normalize_phone("55 1234 5678", region="MX")
    assert whatsapp_wa_id_to_e164("5491112345678") == normalize_phone("+54 11 1234 5678", region="ES")
    assert whatsapp_wa_id_to_e164("5491112345678") == normalize_phone("011 15 1234 5678", region="AR")


@pytest.mark.parametrize("wa_id", ["", "abc", "+", "12", "346123456789999", "٣٤٦١٢٣٤٥٦٧٨", "34 612 34 56 78"])
def test_a_whatsapp_id_that_is_not_a_numbers_digits_is_refused(wa_id):
    with pytest.raises(ApplicationError):
        whatsapp_wa_id_to_e164(wa_id)


@pytest.mark.parametrize(
    ("typed", "region", "message"),
    [
        ("", "ES", "“” is not a phone number."),
        ("hello", "ES", "“hello” is not a phone number."),
        ("12", "ES", "“12” is not a valid phone number."),
        ("612345678", "", "“612345678” is not a phone number."),
        ("+52 1 55 1234 567", "", "“+52 1 55 1234 567” is not a valid phone number."),
        ("+34 612\x00345678", "ES", "“+34 612\x00345678” is not a phone number."),
        ("6" * 41, "ES", f"“{'6' * 41}” is not a phone number."),
    ],
)
def test_what_is_not_a_number_is_refused_with_a_message(typed, region, message):
    with translation.override("en"), pytest.raises(ApplicationError) as error:
        normalize_phone(typed, region=region)

    assert error.value.message == message


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+34612345678", "+34 612 34 56 78"),
        ("+14155550123", "+1 415-555-0123"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("+525512345678", "+52 55 1234 5678"),
        ("+5491112345678", "+54 9 11 1234-5678"),
        ("612345678", "612345678"),
        ("+", "+"),
        ("", ""),
    ],
)
def test_numbers_are_shown_grouped_the_international_way(stored, shown):
    assert format_international(stored) == shown


def test_search_tokens_are_the_digits_and_every_tail_of_the_national_number():
    assert phone_tokens("+34612345678") == [
        "34612345678", "612345678", "12345678", "2345678", "345678", "45678", "5678", "678",
    ]  # fmt: skip
    assert phone_tokens("") == []
