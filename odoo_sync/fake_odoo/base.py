"""What the fake Odoo's database and its business methods share: Odoo's exceptions as the fake raises
them, the faults tests switch on, field kinds and money rounding."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


class OdooError(Exception):
    """An exception Odoo raises inside a method; `kind` picks how each protocol reports it."""

    kind = "internal"
    name = "builtins.Exception"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    kind = "user"
    name = "odoo.exceptions.UserError"


class ValidationError(UserError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    kind = "access"
    name = "odoo.exceptions.AccessError"


class MissingError(UserError):
    kind = "missing"
    name = "odoo.exceptions.MissingError"


class AccessDenied(OdooError):
    kind = "denied"
    name = "odoo.exceptions.AccessDenied"


class SerializationFailure(OdooError):
    name = "psycopg2.errors.SerializationFailure"


class InternalError(OdooError):
    name = "builtins.ValueError"


ERRORS = {cls.__name__: cls for cls in (UserError, ValidationError, AccessError, MissingError, InternalError)}


@dataclass
class Faults:
    """What the fake does wrong, set by tests (and the bench) while it runs.

    - `down`: every request answers HTTP 503 (a proxy in front of a stopped Odoo).
    - `slow`: seconds to wait before answering each request.
    - `fail`: {"model.method": ("UserError", "message")}: that call raises until cleared.
    - `crash_after`: {"model.method": n}: the next n such calls run and commit, then the connection
      drops without an answer (the caller cannot know the record exists).
    - `none_result`: {"model.method"}: the method answers None (XML-RPC then cannot marshal it).
    - `serialization_failures`: the next n object calls fail as a concurrent update Odoo gave up on.
    """

    down: bool = False
    slow: float = 0.0
    fail: dict = field(default_factory=dict)
    crash_after: dict = field(default_factory=dict)
    none_result: set = field(default_factory=set)
    serialization_failures: int = 0


M2O, O2M, M2M = "m2o", "o2m", "m2m"


def _money(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
