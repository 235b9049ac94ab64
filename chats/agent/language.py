"""Which of the product's languages (es, en, fr) a lead's message is written in: deterministic, offline.

Each language scores its common short words and its letters that the others lack (ñ ¿ ¡ for Spanish,
ç œ è ê à ù for French). The best score wins when it clearly leads; a short or ambiguous message ("ok",
"10:30", an emoji) gives None, and the caller keeps the lead's last known language."""

from __future__ import annotations

import re
import unicodedata

LANGUAGES = ("es", "en", "fr")

_WORDS = {
    "es": """
        hola buenas buenos dias días tardes noches gracias por favor quiero quisiera necesito tengo tienen tienes
        una uno unos unas el la los las del al que qué como cómo cuando cuándo cuanto cuánto cuesta precio
        es está están estoy soy para con sin pero muy sí mañana hoy ayer semana cita reservar reserva puedo
        puede podría hay mi mis su sus usted ustedes vale bueno genial hora horas lunes martes miércoles
        jueves viernes sábado domingo y o también ahora cancelar cambiar donde dónde este esta eso esto
    """,
    "en": """
        hi hello hey thanks thank you please want would like need have has the a an of to for with without
        but very yes tomorrow today yesterday week appointment book booking can could is are am my your our
        what when where how much price cost and or also now cancel change this that there do does morning
        afternoon evening monday tuesday wednesday thursday friday saturday sunday it i me available time
    """,
    "fr": """
        bonjour bonsoir salut merci svp plaît veux voudrais aimerais besoin ai avez as le la les un une des du
        au aux que quoi comment quand combien prix coûte est suis sommes êtes pour avec sans mais très oui
        demain aujourd hui hier semaine rendez vous réserver réservation puis pourrais peux il y mon ma mes
        votre vos notre et ou aussi maintenant annuler changer où ce cette ça c est je nous lundi mardi
        mercredi jeudi vendredi samedi dimanche matin soir disponible heure
    """,
}
WORDS = {language: frozenset(text.split()) for language, text in _WORDS.items()}
LETTERS = {"es": "ñ¿¡áíóú", "en": "", "fr": "çœèêàùâîôûëï"}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
MARGIN = 1.0  # the winner must lead the runner-up by this much


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


FOLDED = {language: frozenset(_fold(word) for word in words) for language, words in WORDS.items()}


def scores(text: str) -> dict[str, float]:
    lowered = (text or "").lower()
    tokens = _TOKEN.findall(lowered)
    result = dict.fromkeys(LANGUAGES, 0.0)
    for token in tokens:
        for language in LANGUAGES:
            if token in WORDS[language]:
                result[language] += 1.0
            elif _fold(token) in FOLDED[language]:
                result[language] += 0.5  # written without its accents
    for language, letters in LETTERS.items():
        result[language] += 1.5 * sum(lowered.count(letter) for letter in letters)
    # "é" is Spanish and French alike; Spanish's other accented vowels and French's grave ones decide.
    return result


def detect_language(text: str) -> str | None:
    """ "es", "en" or "fr" when the text clearly reads as one of them, else None."""
    ranked = sorted(scores(text).items(), key=lambda item: item[1], reverse=True)
    (best, top), (_second, runner_up) = ranked[0], ranked[1]
    if top < 1.0 or top - runner_up < MARGIN:
        return None
    return best
