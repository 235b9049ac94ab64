"""What other parts of the product run when a message arrives (the AI agent registers here).

    from chats.hooks import on_inbound

    @on_inbound
    def answer(*, tenant, message): ...

`fire_inbound` is called once per inbound message, after the transaction that stored it has committed
(and, for media, once the file is downloaded), inside the company's schema. A receiver that raises is
logged and does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_receivers: list[Callable] = []


def on_inbound(fn: Callable) -> Callable:
    if fn not in _receivers:
        _receivers.append(fn)
    return fn


def inbound_receivers() -> tuple[Callable, ...]:
    return tuple(_receivers)


def fire_inbound(*, tenant, message) -> None:
    for receiver in tuple(_receivers):
        try:
            receiver(tenant=tenant, message=message)
        except Exception:
            logger.exception("inbound receiver failed", extra={"receiver": getattr(receiver, "__name__", "?")})
