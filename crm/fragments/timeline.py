"""A lead's history entries (`<li>` of the timeline), written in Python.

Through the template engine each entry was two includes (the entry, then its kind's body chosen by a
filter) and a dozen filters and translations; the lead page shows twenty of them, and the note, call and
document forms add one on top of the history (`new-entry`). Here the labels are translated, the stages'
names and the reader's formatting found once per page (`TimelineEntries`), and the CRM's own kinds are
written as the templates in `templates/crm/timeline/` wrote them. A kind another app declares
(core.registry) is still rendered by its template, with the same context the include gave it, so an app
adds a kind without touching this module. Every value is escaped as autoescape would."""

from __future__ import annotations

from html import escape

from django.template import Context
from django.template.defaultfilters import filesizeformat
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core.phones import format_international
from core.registry import timeline_kind
from core.templatetags.formatting import page_formatter

_DEFAULT_TEMPLATE = "crm/timeline/_default.html"


def _value(data: dict, key: str) -> str:
    """`{{ entry.data.key }}`: empty when the key is missing, the value as text otherwise (None reads
    "None", as the template wrote it)."""
    return escape(str(data[key])) if key in data else ""


def csrf_input(token) -> str:
    """What `{% csrf_token %}` writes for `token` (the context's `csrf_token`)."""
    if not token or token == "NOTPROVIDED":  # noqa: S105 (Django's marker for "no token here", not a secret)
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'


class TimelineEntries:
    """The history's `<li>` entries for a reader (the template context of the page or fragment: `user`,
    `stages`, `csrf_token`, `request`, `note_edit_form`)."""

    def __init__(self, context):
        self.context = context
        self.user = context.get("user")
        self.note_edit_form = context.get("note_edit_form")
        self.csrf = csrf_input(context.get("csrf_token"))
        self.stages = {stage.pk: stage.display_name for stage in context.get("stages") or ()}
        self.format = page_formatter()
        self.system = escape(gettext("System"))
        self.writers = {
            "created": self._created,
            "note": self._note,
            "call": self._call,
            "document": self._document,
            "stage": self._stage,
            "assignment": self._assignment,
            "update": self._update,
            "import": self._import,
            "merge": self._merge,
        }

    def __call__(self, entries) -> SafeString:
        return SafeString("".join(self.entry(entry) for entry in entries))

    def entry(self, entry) -> str:
        kind = escape(str(entry.kind))
        created = entry.created_at
        local = timezone.localtime(created) if created is not None and timezone.is_aware(created) else created
        stamp = local.isoformat() if local is not None else ""
        actor = escape(entry.actor_label) if entry.actor_label else self.system
        writer = self.writers.get(str(entry.kind))
        body = writer(entry, entry.data if isinstance(entry.data, dict) else {}) if writer else self._template(entry)
        return (
            f'<li class="timeline-entry timeline-{kind}" id="entry-{entry.pk}" data-kind="{kind}">'
            f'<div class="timeline-meta"><time datetime="{stamp}">{escape(self.format.datetime(created))}</time>'
            f" · {actor}</div>{body}</li>"
        )

    def _stage_name(self, stage_id, recorded) -> str:
        """crm_display.stage_label: today's name of the stage in the reader's language, else the recorded one."""
        name = self.stages.get(stage_id) if stage_id is not None else None
        return escape(str(name if name is not None else (recorded or "")))

    @staticmethod
    def _body(entry, css: str = "timeline-text") -> str:
        return f'<p class="{css}">{escape(entry.body)}</p>' if entry.body else ""

    def _template(self, entry) -> str:
        """A kind without a writer here: its app's template (or the default one), as the include rendered it."""
        kind = timeline_kind(str(entry.kind))
        if kind is None:
            label = escape(str(entry.kind).replace("_", " ").capitalize())
            return f'<div class="timeline-title">{label}</div>{self._body(entry)}'
        names = [kind.template, _DEFAULT_TEMPLATE]
        template = select_template(names).template
        values = {
            "entry": entry,
            "user": self.user,
            "stages": self.context.get("stages"),
            "lead": self.context.get("lead"),
            "request": self.context.get("request"),
            "csrf_token": self.context.get("csrf_token"),
            "note_edit_form": self.note_edit_form,
        }
        return template.render(Context(values, autoescape=True))

    def _created(self, entry, data) -> str:
        title = f'<div class="timeline-title">{escape(gettext("Lead created"))}</div>'
        if not data.get("stage"):
            return title
        name = self._stage_name(data.get("stage_id"), data.get("stage"))
        return f'{title}<p class="timeline-text muted">{gettext("In %(stage)s") % {"stage": name}}</p>'

    def _note(self, entry, data) -> str:
        edited = f' <span class="muted small">({escape(gettext("edited"))})</span>' if data.get("edited_at") else ""
        html = (
            f'<div class="timeline-title">{escape(gettext("Note"))}{edited}</div>'
            f'<p class="timeline-text">{escape(entry.body)}</p>'
        )
        if not (entry.actor_id and self.user is not None and entry.actor_id == self.user.pk):
            return html
        form, pk = self.note_edit_form, entry.pk
        edit = escape(reverse("crm:lead-note-edit", args=[entry.lead_id, pk]))
        delete = escape(reverse("crm:lead-note-delete", args=[entry.lead_id, pk]))
        if form:
            value = form["body"].value()
            text = escape(str(value)) if value else ""
            errors = "".join(f'<small class="error">{escape(str(error))}</small>' for error in form["body"].errors)
        else:
            text, errors = escape(entry.body), ""
        return (
            f'{html}<details class="note-edit"{" open" if form else ""}>'
            f'<summary class="small">{escape(gettext("Edit or delete"))}</summary>'
            f'<form method="post" action="{edit}" hx-post="{edit}" hx-target="#entry-{pk}" hx-swap="outerHTML">'
            f"{self.csrf}"
            f'<label class="visually-hidden" for="note-edit-{pk}">{escape(gettext("Note"))}</label>'
            f'<textarea id="note-edit-{pk}" name="body" rows="3" maxlength="10000">{text}</textarea>{errors}'
            f'<div class="actions"><button class="button small primary" type="submit">{escape(gettext("Save"))}'
            f"</button></div></form>"
            f'<form method="post" action="{delete}" hx-post="{delete}" hx-target="#entry-{pk}" hx-swap="outerHTML" '
            f'data-confirm="{escape(gettext("Delete this note?"))}">{self.csrf}'
            f'<button class="button small danger" type="submit">{escape(gettext("Delete the note"))}</button>'
            f"</form></details>"
        )

    def _call(self, entry, data) -> str:
        from crm.templatetags.crm_display import call_outcome, duration

        outcome = escape(str(call_outcome(data.get("outcome", ""))))
        length = f" · {escape(duration(data['duration']))}" if data.get("duration") else ""
        title = gettext("Call: %(outcome)s") % {"outcome": outcome}
        return f'<div class="timeline-title">{title}{length}</div>{self._body(entry)}'

    def _document(self, entry, data) -> str:
        name = _value(data, "name")
        if data.get("document_id"):
            url = escape(reverse("crm:lead-document", args=[entry.lead_id, data["document_id"]]))
            name = f'<a href="{url}">{name}</a>'
        size = escape(filesizeformat(data.get("size")))
        return (
            f'<div class="timeline-title">{escape(gettext("Document"))}</div>'
            f'<p class="timeline-text">{name} <span class="muted small">({size})</span></p>'
        )

    def _stage(self, entry, data) -> str:
        names = {
            "from": self._stage_name(data.get("from_id"), data.get("from")),
            "to": self._stage_name(data.get("to_id"), data.get("to")),
        }
        html = f'<div class="timeline-title">{gettext("Moved from %(from)s to %(to)s") % names}</div>'
        if data.get("lost_reason"):
            html += f'<p class="timeline-text">{escape(gettext("Lost because:"))} {_value(data, "lost_reason")}</p>'
        return html

    def _assignment(self, entry, data) -> str:
        if data.get("to"):
            title = gettext("Assigned to %(seller)s") % {"seller": _value(data, "to")}
        else:
            title = escape(gettext("Unassigned"))
        html = f'<div class="timeline-title">{title}</div>'
        if data.get("from"):
            before = gettext("Before: %(seller)s") % {"seller": _value(data, "from")}
            html += f'<p class="timeline-text muted">{before}</p>'
        return html

    def _update(self, entry, data) -> str:
        from crm.templatetags.crm_display import lead_field_labels

        html = f'<div class="timeline-title">{escape(gettext("Details updated"))}</div>'
        if not data.get("fields"):
            return html
        labels = ", ".join(escape(str(label)) for label in lead_field_labels(data["fields"]))
        if data.get("added_tag"):
            labels += " · " + gettext("tag %(tag)s added") % {"tag": _value(data, "added_tag")}
        return f'{html}<p class="timeline-text muted">{labels}</p>'

    def _import(self, entry, data) -> str:
        return f'<div class="timeline-title">{escape(gettext("Imported"))}</div>{self._body(entry)}'

    def _merge(self, entry, data) -> str:
        title = gettext("Merged with %(name)s") % {"name": _value(data, "name")}
        phone = f"{escape(format_international(data['phone']))} · " if data.get("phone") else ""
        text = gettext("its history and tags are now here (it was lead #%(id)s)") % {"id": _value(data, "merged_id")}
        return f'<div class="timeline-title">{title}</div><p class="timeline-text muted">{phone}{text}</p>'
