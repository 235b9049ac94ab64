"""`{% load core_forms %}`, then `{% form_fields form %}`: partials/_form.html's markup written in Python
(core.forms.form_fields)."""

from __future__ import annotations

from django import template

from core.forms import form_fields as _form_fields

register = template.Library()


@register.simple_tag
def form_fields(form) -> str:
    return _form_fields(form)
