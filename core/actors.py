"""Who did something, when it was not a signed-in person: the AI agent, the system (workers, beat), or a
lead acting through a public page. Services that take `actor` accept a User or one of these, and the
audit log and the lead's history record it as such."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Actor:
    kind: str  # core.models.AuditEntry.ActorKind
    label: str | Promise
    user: object | None = None

    # Services check `actor.is_authenticated` before treating an actor as a person.
    is_authenticated = False

    def __str__(self) -> str:
        return str(self.label)


AGENT = Actor(kind="agent", label=_("AI agent"))
SYSTEM = Actor(kind="system", label=_("System"))


def lead_actor(name: str = "") -> Actor:
    """The lead themself, acting through a public page (booking page, form)."""
    return Actor(kind="lead", label=name or _("The lead"))
