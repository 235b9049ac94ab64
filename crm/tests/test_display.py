"""The display filters of CRM pages (money, dates and phones are core's: core/tests/test_formatting.py)."""

from django.utils import translation

from crm.templatetags.crm_display import call_outcome, language_name


def test_language_codes_are_named_in_the_readers_language():
    with translation.override("fr"):
        assert language_name("es") == "Espagnol"
        assert language_name("EN") == "Anglais"
        assert language_name("pt") == "pt"
        assert language_name("") == ""


def test_call_outcomes_are_named_in_the_readers_language_and_unknown_ones_kept():
    with translation.override("es"):
        assert call_outcome("no_answer") == "Sin respuesta"
    with translation.override("en"):
        assert call_outcome("no_answer") == "No answer"
        assert call_outcome("shouted") == "shouted"
        assert call_outcome(None) == ""
