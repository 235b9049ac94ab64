"""Text folding for search, shared by every app: lower-case, accent-free words."""

from __future__ import annotations

import re

from unidecode import unidecode

_WORDS = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accent-free: 'José Ñúñez' -> 'jose nunez'."""
    return unidecode(text or "").lower().strip()


def words(text: str) -> list[str]:
    """The accent-free, lower-case alphanumeric words of a text: 'José.Núñez@x.com' -> jose nunez x com."""
    return _WORDS.findall(fold(text))
