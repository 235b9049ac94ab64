"""People's avatars: initials plus a colour, so two people are told apart at a glance.

The colour comes from the user id (stable across pages and sessions). Inside a company, people whose
initials collide get a third letter from their first name (Sam Seller "SSm", Sara Seller "SSr") and
distinct colours; identical first names fall back to a number. CSS classes `avatar-c0`..`avatar-c11`
hold the palette (the Content-Security-Policy allows no inline style)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

PALETTE = tuple(range(12))


@dataclass(frozen=True)
class Avatar:
    label: str
    colour: int
    name: str


def _words(name: str, email: str) -> list[str]:
    text = (name or "").strip() or (email or "").replace("@", " ")
    return [word for word in text.split() if word]


def base_initials(name: str, email: str = "") -> str:
    words = _words(name, email)
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def standalone_avatar(user_id: int, name: str, email: str = "") -> Avatar:
    return Avatar(label=base_initials(name, email), colour=user_id % len(PALETTE), name=name or email)


def _disambiguate(group: list[tuple[int, str, str]], base: str) -> dict[int, str]:
    """Labels for people sharing `base`: base plus the first letter position where all first names differ."""
    firsts = [(_words(name, email) or [""])[0].lower() for _, name, email in group]
    longest = max(len(first) for first in firsts)
    for position in range(1, longest):
        letters = [first[position] if position < len(first) else "" for first in firsts]
        if all(letters) and len(set(letters)) == len(letters):
            return {user_id: base + letter for (user_id, _, _), letter in zip(group, letters, strict=True)}
    return {user_id: f"{base}{rank}" for rank, (user_id, _, _) in enumerate(group, start=1)}


def company_avatars(people) -> dict[int, Avatar]:
    """{user id: Avatar} for `people`, an iterable of (user id, full name, email) of one company."""
    people = sorted(people)
    groups: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for person in people:
        groups[base_initials(person[1], person[2])].append(person)
    avatars: dict[int, Avatar] = {}
    for base, group in groups.items():
        labels = _disambiguate(group, base) if len(group) > 1 else {group[0][0]: base}
        used: set[int] = set()
        for user_id, name, email in group:
            colour = user_id % len(PALETTE)
            while colour in used and len(used) < len(PALETTE):
                colour = (colour + 1) % len(PALETTE)
            used.add(colour)
            avatars[user_id] = Avatar(label=labels[user_id], colour=colour, name=name or email)
    return avatars


def tenant_avatars(*, tenant) -> dict[int, Avatar]:
    """Every member of `tenant` (any status: a disabled seller still owns leads), in one query."""
    from tenants.models import Membership

    rows = Membership.objects.filter(tenant=tenant).values_list("user_id", "user__full_name", "user__email")
    return company_avatars(rows)


def request_avatars(request) -> dict[int, Avatar]:
    """The company's avatars, read once per request (a board shows many cards)."""
    cached = getattr(request, "_crm_avatars", None)
    if cached is None:
        tenant = getattr(request, "tenant", None)
        cached = tenant_avatars(tenant=tenant) if tenant is not None and tenant.schema_name != "public" else {}
        request._crm_avatars = cached
    return cached
