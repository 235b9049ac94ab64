"""What lead search matches: the text stored in `Lead.search_text` and indexed as a tsvector."""

from __future__ import annotations

from core.phones import phone_tokens
from core.text import words


def search_text_for(*, first_name: str, last_name: str, email: str, company: str, phone: str) -> str:
    """Words of the name, email and company, and the phone's digit tokens."""
    return " ".join([*words(first_name), *words(last_name), *words(email), *words(company), *phone_tokens(phone)])
