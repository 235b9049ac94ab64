"""Voice notes to text with OpenAI Whisper (the company's key), stored on the message through
`chats.services.message_set_transcript`: shown under the audio, and read by the agent. The audio's length
and what it cost (chats.agent.pricing) are stored with it and counted in the agent's totals."""

from __future__ import annotations

import mimetypes

from chats.agent.clients.openai import get_transcriber
from core.tenancy import check_tenant

MEDIA_FIELDS = ("media", "media_file", "file")
MAX_AUDIO_BYTES = 25 * 1024 * 1024  # Whisper's upload limit


def _media(message):
    for name in MEDIA_FIELDS:
        field = getattr(message, name, None)
        if field:
            return field
    return None


def message_transcribe(*, tenant, message) -> str:
    """The voice note's transcript: the stored one, or Whisper's (then stored). Returns "" while the audio
    has not been downloaded yet or is too big. Raises the client's TransientClientError (retry later) or
    PermanentClientError (no key, refused)."""
    from chats.agent.pricing import transcription_cost
    from chats.services import message_set_transcript

    check_tenant(tenant)
    if (message.transcript or "").strip():
        return message.transcript
    media = _media(message)
    if media is None:
        return ""
    with media.open("rb") as handle:
        audio = handle.read(MAX_AUDIO_BYTES + 1)
    if not audio or len(audio) > MAX_AUDIO_BYTES:
        return ""
    filename = media.name.rsplit("/", 1)[-1] or "voice.ogg"
    content_type = (
        getattr(message, "media_mime", "") or getattr(message, "mime_type", "") or mimetypes.guess_type(filename)[0]
    )
    transcript = get_transcriber(tenant).transcribe(
        audio=audio, filename=filename, content_type=content_type or "audio/ogg"
    )
    text = transcript.text.strip()
    if text:
        # A length the API did not report is unknown, not free: no seconds, no cost.
        seconds = transcript.seconds if transcript.seconds > 0 else None
        cost = transcription_cost(seconds=seconds, model=transcript.model) if seconds is not None else None
        stored = message_set_transcript(tenant=tenant, message=message, transcript=text, seconds=seconds, cost=cost)
        message.transcript = stored.transcript
        message.transcription_seconds, message.transcription_cost = stored.transcription_seconds, cost
    return text
