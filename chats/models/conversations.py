"""A conversation is one lead talking to one of the company's WhatsApp numbers; messages go both ways."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import PurePosixPath

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference

# WhatsApp's customer-service window: free-form messages are allowed for 24 hours after the lead's
# last message; outside it only approved templates may be sent.
SERVICE_WINDOW = timedelta(hours=24)
TAKEOVER_SPAN = timedelta(hours=24)


class Conversation(TimeStampedModel):
    lead = models.ForeignKey("crm.Lead", on_delete=models.CASCADE, related_name="conversations", verbose_name=_("lead"))
    # The company number (tenants.WhatsAppNumber, public schema) by its provider and provider id.
    provider = models.CharField(_("provider"), max_length=32)
    phone_number_id = models.CharField(_("provider number id"), max_length=64)
    business_phone = models.CharField(_("company number"), max_length=32, blank=True)
    last_inbound_at = models.DateTimeField(_("last message from the lead"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, db_index=True)
    last_message_preview = models.CharField(_("last message"), max_length=160, blank=True)
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    takeover_until = models.DateTimeField(_("taken over until"), null=True, blank=True)
    taken_over_by = user_reference(verbose_name=_("taken over by"))
    handoff_reason = models.CharField(_("hand-off reason"), max_length=255, blank=True)
    handoff_at = models.DateTimeField(_("handed off"), null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "provider", "phone_number_id"], name="chats_conversation_unique"),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return f"{self.lead} / {self.business_phone or self.phone_number_id}"

    @property
    def window_closes_at(self):
        return self.last_inbound_at + SERVICE_WINDOW if self.last_inbound_at else None

    @property
    def window_open(self) -> bool:
        """Free-form messages may be sent (the lead wrote in the last 24 hours)."""
        closes = self.window_closes_at
        return closes is not None and closes > timezone.now()

    @property
    def agent_silenced(self) -> bool:
        """A person has taken the conversation over (the AI agent must not answer) until `takeover_until`."""
        return self.takeover_until is not None and self.takeover_until > timezone.now()


def media_path(instance: Message, filename: str) -> str:
    # The tenant storage puts the schema name in front, so each company's files are apart.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"chats/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("Received")
        OUT = "out", _("Sent")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VOICE = "voice", _("Voice note")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")
        STICKER = "sticker", _("Sticker")
        LOCATION = "location", _("Location")
        CONTACTS = "contacts", _("Contacts")
        INTERACTIVE = "interactive", _("Interactive reply")
        REACTION = "reaction", _("Reaction")
        TEMPLATE = "template", _("Template")
        ORDER = "order", _("Order")
        SYSTEM = "system", _("Number change")
        UNSUPPORTED = "unsupported", _("Unsupported")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    class Sender(models.TextChoices):
        LEAD = "lead", _("Lead")
        AGENT = "agent", _("AI agent")
        USER = "user", _("Staff")
        SYSTEM = "system", _("System")

    class MediaState(models.TextChoices):
        NONE = "", _("No media")
        PENDING = "pending", _("Downloading")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Download failed")

    MEDIA_KINDS = {"image", "audio", "voice", "video", "document", "sticker"}

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(_("text"), blank=True)
    transcript = models.TextField(_("transcript"), blank=True)
    # What transcribing a voice note took and cost (Whisper bills the audio's length; chats.agent.pricing).
    transcription_seconds = models.DecimalField(
        _("transcribed seconds"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    transcription_cost = models.DecimalField(
        _("transcription cost (USD)"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    language = models.CharField(_("language"), max_length=5, blank=True)
    # Kind-specific details: location, contacts, interactive reply ids, reaction target, template...
    payload = models.JSONField(default=dict, blank=True)
    media_file = models.FileField(upload_to=media_path, max_length=255, blank=True)
    media_mime = models.CharField(max_length=100, blank=True)
    media_id = models.CharField(_("provider media id"), max_length=128, blank=True)
    media_name = models.CharField(max_length=255, blank=True)
    media_size = models.PositiveIntegerField(default=0)
    media_state = models.CharField(max_length=8, choices=MediaState.choices, default=MediaState.NONE, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(_("error"), max_length=500, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True, db_index=True)
    # Outbound: the key the send task claims the message with, so a retry never sends it twice.
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    sender = models.CharField(_("sender"), max_length=8, choices=Sender.choices)
    author = user_reference(verbose_name=_("author"))
    send_attempts = models.PositiveSmallIntegerField(default=0)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    provider_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "-created_at"], name="chats_msg_conv_created")]
        constraints = [
            # An inbound message is stored once, however often the provider delivers it.
            models.UniqueConstraint(
                fields=["provider_message_id"],
                condition=models.Q(direction="in") & ~models.Q(provider_message_id=""),
                name="chats_inbound_once",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.pk}"

    @property
    def has_media(self) -> bool:
        return self.kind in self.MEDIA_KINDS

    @property
    def is_outbound(self) -> bool:
        return self.direction == self.Direction.OUT

    @property
    def can_retry(self) -> bool:
        return self.is_outbound and self.status == self.Status.FAILED


class QuickReply(TimeStampedModel):
    """A canned answer the composer offers (owners manage them on the chats settings page)."""

    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("text"), max_length=1000)

    class Meta:
        ordering = ["title"]
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")

    def __str__(self) -> str:
        return self.title
