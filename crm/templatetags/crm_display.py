"""Small display helpers for CRM pages: language names, initials, call durations, call outcomes, timeline
entries. Money, numbers, dates and phones are core's (`{% load formatting %}`)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def language_name(code) -> str:
    """A language code (`es`) as its name in the reader's language (`Spanish`); an unknown code as given."""
    names = dict(settings.LANGUAGES)
    key = (code or "").lower()
    return str(names[key]) if key in names else (code or "")


@register.simple_tag(takes_context=True)
def stage_label(context, stage_id, recorded: str = "") -> str:
    """A stage named in the history, as the reader calls it today: names are recorded in the language of
    whoever made the change, so the page's `stages` give the current name in the reader's language. The
    recorded name stays when the stage is gone or the page has no stages."""
    for stage in context.get("stages") or ():
        if stage.pk == stage_id:
            return stage.display_name
    return recorded or ""


@register.filter
def initials(user) -> str:
    if user is None:
        return ""
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or "").strip()
    parts = [part for part in name.replace("@", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper()


@register.simple_tag(takes_context=True)
def avatar(context, user) -> str:
    """`{% avatar user %}`: the person's initials in their colour, told apart from colleagues with the same
    initials (crm.avatars). Unassigned (None) shows a dash."""
    from crm.avatars import request_avatars, standalone_avatar
    from crm.fragments import avatar_html

    if user is None:
        return avatar_html(None)
    request = context.get("request")
    known = request_avatars(request) if request is not None else {}
    found = known.get(user.pk) or standalone_avatar(user.pk, getattr(user, "full_name", ""), user.email)
    return avatar_html(found)


def _page_renderer(context, key: str, build):
    """One renderer per page render (kept at the root of the render context), built on first use."""
    root = context.render_context.dicts[0]
    if key not in root:
        root[key] = build()
    return root[key]


@register.simple_tag(takes_context=True)
def lead_rows(context, leads) -> str:
    """`{% lead_rows page.object_list %}`: the list's rows with the reader's chosen `columns` (crm.fragments)."""
    from crm.fragments import LeadRows

    rows = _page_renderer(
        context,
        "crm_lead_rows",
        lambda: LeadRows(columns=context.get("columns") or (), request=context.get("request"), now=context.get("now")),
    )
    return rows(leads)


@register.simple_tag(takes_context=True)
def board_cards(context, leads, stage) -> str:
    """`{% board_cards column.cards column.stage %}`: a board column's cards (crm.fragments)."""
    from crm.fragments import BoardCards

    cards = _page_renderer(
        context, "crm_board_cards", lambda: BoardCards(request=context.get("request"), now=context.get("board_now"))
    )
    return cards(leads, stage)


def _timeline_writer(context):
    from crm.fragments.timeline import TimelineEntries

    return _page_renderer(context, "crm_timeline_entries", lambda: TimelineEntries(context))


@register.simple_tag(takes_context=True)
def timeline_entries(context, entries) -> str:
    """`{% timeline_entries timeline.entries %}`: a page of the lead's history (crm.fragments.timeline)."""
    return _timeline_writer(context)(entries)


@register.simple_tag(takes_context=True)
def timeline_entry(context, entry) -> str:
    """`{% timeline_entry entry %}`: one entry of the history, as the page writes it."""
    return SafeString(_timeline_writer(context).entry(entry))


@register.filter
def duration(seconds) -> str:
    """Seconds as `m:ss`, or `h:mm:ss` from an hour up."""
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def call_outcome(value: str) -> str:
    """A stored outcome by its name in the reader's language; an unknown one as stored."""
    from crm.models import CallOutcome

    return str(CallOutcome(value).label) if value in CallOutcome.values else (value or "")


@register.filter
def timeline_templates(entry) -> list[str]:
    """The templates that may render this entry's body: the one its app declared for the kind (see
    core.registry), then the default."""
    from core.registry import timeline_kind

    kind = timeline_kind(str(entry.kind))
    return [kind.template, "crm/timeline/_default.html"] if kind else ["crm/timeline/_default.html"]


@register.filter
def timeline_kind_label(entry) -> str:
    """The translated name of a declared kind; an undeclared one reads like a title."""
    from core.registry import timeline_kind

    kind = timeline_kind(str(entry.kind))
    return str(kind.label) if kind else str(entry.kind).replace("_", " ").capitalize()


@register.filter
def lead_field_labels(names) -> list[str]:
    """Lead field names (as stored in update entries) as their translated labels."""
    from django.core.exceptions import FieldDoesNotExist

    from crm.models import Lead

    labels = []
    for name in names or []:
        try:
            labels.append(str(Lead._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(str(name))
    return labels
