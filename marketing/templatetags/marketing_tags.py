"""Template tags other apps' pages use to show marketing things (the inbox composer's templates)."""

from django import template

register = template.Library()


@register.simple_tag
def approved_templates():
    """The company's approved WhatsApp templates (for the composer when the 24-hour window is closed)."""
    from marketing.services.templates import approved_templates as read

    return read()
