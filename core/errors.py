class ApplicationError(Exception):
    """A domain rule was broken. `message` is safe to show to the user. `code` (optional) names the rule
    for whoever stores the refusal to word it later, in its reader's language, with `extra` as the
    message's parameters."""

    def __init__(self, message: str, *, code: str = "", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class ClientError(Exception):
    """An external system (Odoo, WhatsApp, Meta, Google...) refused or failed a call. Raised only by
    `<app>/clients/`, which turn every vendor error into one of the two kinds below. `message` is the
    system's own words (safe to show to the staff who configured it: never a credential)."""

    def __init__(self, message: str, *, code: str = "", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class TransientClientError(ClientError):
    """Worth retrying later unchanged: the system is down, slow, overloaded or timed out."""


class PermanentClientError(ClientError):
    """Retrying unchanged fails again: bad credentials, a refused record, a missing app. A person must
    fix something first."""
