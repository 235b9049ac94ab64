"""What several CRM forms share: the seller choices."""

from __future__ import annotations


def seller_choices(members, *, blank: str) -> list[tuple[str, str]]:
    """A blank choice, then each member (an assignable membership) by name, or email without one."""
    return [("", blank)] + [(str(m.user_id), m.user.get_full_name() or m.user.email) for m in members]
