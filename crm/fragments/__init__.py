"""The lead list's rows and the board's cards, written in Python.

They are the bulk of the two busiest pages (50 rows, up to 15 cards a column): through the template
engine each row cost about a hundred nodes (translations, `if`s, `url`s, filters, an avatar template),
most of the page's CPU. Here the labels are translated, the URLs reversed and the locale's formatters
chosen once per page (`LeadRows`, `BoardCards`), and each row is a few string joins. Every page and
fragment that shows a row or a card renders it through these (`{% lead_rows %}`, `{% board_cards %}`
in crm_display), so the board, the columns re-fetched on live events and "more cards" are the same
markup. Every value is escaped here, as the template engine's autoescape would."""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext

from core.phones import format_international
from core.templatetags.formatting import page_formatter
from crm.avatars import Avatar, request_avatars, standalone_avatar
from crm.models import Lead

# Reversed with this id, then the id is put in its place: one reverse per page instead of one per row.
_ID = 987654321


def _url_pattern(name: str) -> tuple[str, str]:
    head, _sep, tail = reverse(name, args=[_ID]).partition(str(_ID))
    return head, tail


def _choices(choices) -> dict[str, str]:
    """A field's choices, translated and escaped: a row shows the label of its stored value."""
    return {value: escape(str(label)) for value, label in choices}


def avatar_html(avatar: Avatar | None) -> SafeString:
    """A person's initials in their colour (crm.avatars); None: the unassigned dash."""
    if avatar is None:
        return SafeString(f'<span class="avatar avatar-empty" title="{escape(gettext("Unassigned"))}">–</span>')
    return SafeString(
        f'<span class="avatar avatar-c{avatar.colour}" title="{escape(avatar.name)}">{escape(avatar.label)}</span>'
    )


class _Avatars:
    """Each seller's avatar markup, once per page."""

    def __init__(self, request):
        self.known = request_avatars(request) if request is not None else {}
        self.html: dict[int | None, str] = {None: avatar_html(None)}

    def __call__(self, user) -> str:
        key = user.pk if user is not None else None
        if key not in self.html:
            found = self.known.get(user.pk) or standalone_avatar(user.pk, getattr(user, "full_name", ""), user.email)
            self.html[key] = avatar_html(found)
        return self.html[key]


class LeadRows:
    """The list's `<tr>` for each lead, with the chosen `columns` (crm.services.lists.LIST_COLUMNS, always
    in that order) for a reader whose language is active."""

    def __init__(self, *, columns, request, now=None):
        self.columns = set(columns)
        self.now = now or timezone.now()
        self.format = page_formatter()
        self.avatars = _Avatars(request)
        self.detail = _url_pattern("crm:lead-detail")
        self.select = gettext("Select %(name)s")
        labels = {
            "name": gettext("Name"),
            "phone": gettext("Phone"),
            "stage": gettext("Stage"),
            "seller": gettext("Seller"),
            "source": gettext("Source"),
            "score": gettext("Score"),
            "next_step": gettext("Next step"),
            "value": gettext("Value"),
            "last_contact": gettext("Last contact"),
            "created": gettext("Created"),
        }
        self.label = {column: escape(label) for column, label in labels.items()}
        self.unassigned = escape(gettext("Unassigned"))
        self.sources = _choices(Lead.Source.choices)
        self.scores = _choices(Lead.Score.choices)
        self.stages: dict[int, str] = {}

    def __call__(self, leads) -> SafeString:
        return SafeString("".join(self.row(lead) for lead in leads))

    def _cell(self, column: str, body: str, css: str = "") -> str:
        if column not in self.columns:
            return ""
        attrs = f' class="{css}"' if css else ""
        return f'<td data-column="{column}" data-label="{self.label[column]}"{attrs}>{body}</td>'

    def row(self, lead) -> str:
        pk, fmt = lead.pk, self.format
        name = escape(str(lead))
        tags = "".join(f'<span class="pill tag">{escape(tag.name)}</span> ' for tag in lead.tags.all())
        company = f'<div class="small muted">{escape(lead.company)}</div>' if lead.company else ""
        parts = [
            f'<tr data-lead="{pk}">',
            f'<td class="check-col"><input type="checkbox" name="ids" value="{pk}" '
            f'aria-label="{self.select % {"name": name}}"></td>',
            f'<td data-label="{self.label["name"]}"><a href="{self.detail[0]}{pk}{self.detail[1]}">'
            f"{escape(lead.full_name or lead.phone)}</a> {company} {tags}</td>",
        ]
        columns = self.columns
        if "phone" in columns:
            parts.append(self._cell("phone", escape(format_international(lead.phone)), "nowrap"))
        if "stage" in columns:
            if lead.stage_id not in self.stages:
                stage = lead.stage
                self.stages[lead.stage_id] = (
                    f'<span class="pill stage-{escape(stage.kind)}">{escape(stage.display_name)}</span>'
                )
            parts.append(self._cell("stage", self.stages[lead.stage_id]))
        if "seller" in columns:
            seller = lead.seller
            if seller is not None:
                body = f"{self.avatars(seller)} {escape(seller.get_full_name() or seller.email)}"
            else:
                body = f'<span class="muted">{self.unassigned}</span>'
            parts.append(self._cell("seller", body))
        if "source" in columns:
            parts.append(self._cell("source", self.sources.get(lead.source) or escape(lead.source)))
        if "score" in columns:
            body = ""
            if lead.score:
                body = (
                    f'<span class="pill score-{escape(lead.score)}" title="{escape(lead.score_reason)}">'
                    f"{self.scores.get(lead.score) or escape(lead.score)}</span>"
                )
            parts.append(self._cell("score", body))
        if "next_step" in columns:
            body, when = "", lead.next_action_at
            if lead.next_action or when:
                overdue = " overdue" if when and when < self.now else ""
                body = f'<span class="next-step{overdue}">{escape(lead.next_action or "—")}</span>'
                if when:
                    body += f' <span class="small muted nowrap">{escape(fmt.date(when))}</span>'
            parts.append(self._cell("next_step", body))
        if "value" in columns:
            parts.append(self._cell("value", escape(fmt.money(lead.expected_value)), "num nowrap"))
        if "last_contact" in columns:
            parts.append(self._cell("last_contact", escape(fmt.date(lead.last_contact_at) or "—"), "nowrap"))
        if "created" in columns:
            parts.append(self._cell("created", escape(fmt.date(lead.created_at)), "nowrap"))
        parts.append("</tr>")
        return "".join(parts)


class BoardCards:
    """The board's `<li>` cards of one stage's leads (`lead.next_task` set by the view, or absent)."""

    def __init__(self, *, request, now=None):
        self.now = now or timezone.now()
        self.format = page_formatter()
        self.avatars = _Avatars(request)
        self.detail = _url_pattern("crm:lead-detail")
        self.task_url = escape(reverse("agenda:task-create"))
        self.next_task = escape(gettext("Next task"))
        self.add_task = escape(gettext("Add a task"))
        self.move_to = escape(gettext("Move to…"))
        self.move = gettext("Move %(name)s to another stage")
        self.days: dict[int, str] = {}
        self.scores = _choices(Lead.Score.choices)

    def __call__(self, leads, stage) -> SafeString:
        return SafeString("".join(self.card(lead, stage) for lead in leads))

    def _days(self, days: int) -> str:
        """The days-in-stage badge, by number of days (many cards share one)."""
        if days not in self.days:
            title = ngettext("%(counter)s day in this stage", "%(counter)s days in this stage", days)
            short = pgettext("days in stage, short", "%(n)s d")
            self.days[days] = (
                f'<span class="board-card-days" title="{title % {"counter": days}}">{short % {"n": days}}</span>'
            )
        return self.days[days]

    def card(self, lead, stage) -> str:
        pk, fmt = lead.pk, self.format
        changed = lead.stage_changed_at
        days = max((self.now - changed).days, 0) if changed else 0
        rotting = " board-card-rotting" if stage.rotting_days is not None and days > stage.rotting_days else ""
        name = escape(str(lead))
        company = f'<div class="board-card-company">{escape(lead.company)}</div>' if lead.company else ""
        task = getattr(lead, "next_task", None)
        next_task = ""
        if task:
            next_task = (
                f'<div class="board-card-next small" title="{self.next_task}"><span aria-hidden="true">☑</span> '
                f"{escape(task.title)} · {escape(fmt.date(task.due_at))}</div>"
            )
        score = ""
        if lead.score:
            score = (
                f'<span class="pill score score-{escape(lead.score)}" title="{escape(lead.score_reason)}">'
                f"{self.scores.get(lead.score) or escape(lead.score)}</span>"
            )
        return (
            f'<li class="board-card{rotting}" id="card-{pk}" data-lead="{pk}">'
            f'<a class="board-card-name" href="{self.detail[0]}{pk}{self.detail[1]}">{name}</a> {company} {next_task} '
            f'<div class="board-card-foot">'
            f'<span class="board-card-value">{escape(fmt.money(lead.expected_value))}</span> '
            f"{score} {self._days(days)} "
            f'<a class="board-card-task" href="{self.task_url}?lead={pk}" title="{self.add_task}" '
            f'aria-label="{self.add_task}" data-testid="card-add-task">+</a> '
            f"{self.avatars(lead.seller)} "
            f'<button type="button" class="board-card-menu" data-move-menu aria-label="{self.move % {"name": name}}" '
            f'title="{self.move_to}">⋯</button></div></li>'
        )
