from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chats.agent.services import MAX_TONE


class AgentSettingsForm(forms.Form):
    tone = forms.CharField(
        label=_("Tone of the AI agent"),
        required=False,
        max_length=MAX_TONE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "How the agent should sound, in your words: for example “warm and brief, use the lead's first name, "
            "never more than two emojis”. It always answers in the lead's language."
        ),
    )
