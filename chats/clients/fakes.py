"""An in-memory WhatsApp provider for tests and the benchmark: it records what was sent (and how many
times per idempotency key), can refuse or stop mid-send on demand, and serves media from a dict."""

from __future__ import annotations

import itertools
from collections import Counter

from chats.clients.whatsapp import MediaFile, Outbound, SendResult
from core.errors import PermanentClientError, TransientClientError


class WorkerKilled(BaseException):
    """Stands for a worker process killed between the provider's answer and recording it."""


class FakeWhatsAppClient:
    provider = "fake"
    supports_lookup = True
    sent: list[tuple[str, Outbound]] = []
    sends: Counter = Counter()
    accepted: dict[str, str] = {}
    media: dict[str, MediaFile] = {}
    # What the next send does: None (accept), "transient", "permanent", "timeout", "crash" (accept, then die).
    next_outcome: list[str] = []
    _ids = itertools.count(1)

    def __init__(self, *, tenant=None, provider: str = "", phone_number_id: str = ""):
        self.tenant = tenant
        self.phone_number_id = phone_number_id

    @classmethod
    def reset(cls, *, lookup: bool = True) -> None:
        cls.sent, cls.sends, cls.accepted, cls.media, cls.next_outcome = [], Counter(), {}, {}, []
        cls.supports_lookup = lookup

    def send(self, message: Outbound, *, idempotency_key: str) -> SendResult:
        outcome = self.next_outcome.pop(0) if self.next_outcome else None
        if outcome == "transient":
            raise TransientClientError("provider busy", code="503")
        if outcome == "permanent":
            raise PermanentClientError("(#131026) Message undeliverable", code="131026")
        self.sends[idempotency_key] += 1
        self.sent.append((idempotency_key, message))
        wamid = f"wamid.fake{next(self._ids)}"
        self.accepted[idempotency_key] = wamid
        if outcome == "timeout":
            raise TransientClientError("timed out", code="timeout")
        if outcome == "crash":
            raise WorkerKilled()
        return SendResult(provider_message_id=wamid)

    def lookup(self, *, idempotency_key: str) -> SendResult | None:
        if not self.supports_lookup:
            return None
        wamid = self.accepted.get(idempotency_key)
        return SendResult(provider_message_id=wamid) if wamid else None

    def download_media(self, *, media_id: str, url: str = "") -> MediaFile:
        if media_id not in self.media:
            raise PermanentClientError("media not found", code="404")
        return self.media[media_id]
