"""What a run of the agent cost: tokens times the model's list price (US dollars per million tokens);
what a voice note's transcription cost: the audio's length times the transcription model's price per
minute. A model not listed records its tokens (or seconds) and no cost (None), never a guessed price."""

from __future__ import annotations

from decimal import Decimal

# OpenAI list prices (standard tier), input / output per 1M tokens.
PRICES_PER_MILLION: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
}
# OpenAI list prices per minute of audio (billed on the audio's length, to the second).
TRANSCRIPTION_PRICES_PER_MINUTE: dict[str, Decimal] = {
    "whisper-1": Decimal("0.006"),
    "gpt-4o-transcribe": Decimal("0.006"),
    "gpt-4o-mini-transcribe": Decimal("0.003"),
}
WHISPER_PER_MINUTE = TRANSCRIPTION_PRICES_PER_MINUTE["whisper-1"]
MILLION = Decimal(1_000_000)


def _base(model: str) -> str:
    """ "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini"."""
    model = (model or "").strip().lower()
    for name in sorted(PRICES_PER_MILLION, key=len, reverse=True):
        if model == name or model.startswith(name + "-2"):
            return name
    return model


def run_cost(*, model: str, tokens_in: int, tokens_out: int) -> Decimal | None:
    prices = PRICES_PER_MILLION.get(_base(model))
    if prices is None:
        return None
    cost = (prices[0] * tokens_in + prices[1] * tokens_out) / MILLION
    return cost.quantize(Decimal("0.000001"))


def transcription_cost(*, seconds: float, model: str = "whisper-1") -> Decimal | None:
    price = TRANSCRIPTION_PRICES_PER_MINUTE.get((model or "").strip().lower())
    if price is None or seconds is None or seconds < 0:
        return None
    return (price * Decimal(str(seconds)) / 60).quantize(Decimal("0.000001"))
