"""The history's entries written in Python (crm.fragments.timeline) are what the kinds' declared templates
wrote through the include they replaced: every CRM kind, in each language, with hostile values, the note's
edit form for its author (with errors) and not for others; another app's kind and an undeclared one still
go through their templates."""

import re
from datetime import UTC, datetime

import pytest
from django.template import engines
from django.utils import timezone, translation

from crm.forms.lead_page import NoteEditForm
from crm.fragments.timeline import TimelineEntries
from crm.models import Stage, TimelineEntry
from crm.tests.factories import LeadFactory, TimelineEntryFactory, stage

pytestmark = pytest.mark.django_db

NASTY = '<b>"Bo" & Co\'s</b>'

# What templates/crm/partials/_timeline_entry.html was before the entries were written in Python.
INCLUDE = (
    "{% load i18n crm_display formatting %}"
    '<li class="timeline-entry timeline-{{ entry.kind }}" id="entry-{{ entry.pk }}" data-kind="{{ entry.kind }}">'
    '<div class="timeline-meta"><time datetime="{{ entry.created_at|date:\'c\' }}">'
    '{{ entry.created_at|short_datetime }}</time> · {{ entry.actor_label|default:_("System") }}</div>'
    "{% include entry|timeline_templates %}</li>"
)


def _flat(html: str) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", html).strip()


def _entries(lead, stages, actor_id):
    moment = datetime(2026, 3, 29, 0, 59, 7, 123456, tzinfo=UTC)
    new, won, lost = stages["new"], stages["won"], stages["lost"]
    rows = [
        ("created", "", {"stage": "Nuevo", "stage_id": new.pk}),
        ("created", "", {"stage": NASTY, "stage_id": 999999}),
        ("created", "", {}),
        ("note", NASTY, {}),
        ("note", "", {"edited_at": "2026-01-01"}),
        ("call", NASTY, {"outcome": "no_answer", "duration": 272}),
        ("call", "", {"outcome": NASTY, "duration": 4000}),
        ("call", "", {}),
        ("document", "", {"document_id": 7, "name": NASTY, "size": 123456}),
        ("document", "", {"name": None}),
        ("stage", "", {"from": "Nuevo", "from_id": new.pk, "to": "Ganado", "to_id": won.pk}),
        ("stage", "", {"from": NASTY, "from_id": None, "to": "x", "to_id": lost.pk, "lost_reason": NASTY}),
        ("assignment", "", {"to": NASTY, "from": "Ana"}),
        ("assignment", "", {"to": "", "from": ""}),
        ("update", "", {"fields": ["email", "expected_value", "no_such_field", NASTY], "added_tag": NASTY}),
        ("update", "", {"fields": []}),
        ("import", NASTY, {}),
        ("import", "", {}),
        ("merge", "", {"name": NASTY, "phone": "+34612345678", "merged_id": 41}),
        ("merge", "", {}),
        ("appointment_booked", NASTY, {"service": NASTY, "start": "2026-03-29T10:00:00+00:00", "source": "agent"}),
        ("whatsapp_in", NASTY, {"conversation": 5}),
        ("odoo", NASTY, {}),
        ("no_such_kind_yet", NASTY, {}),
    ]
    entries = []
    for n, (kind, body, data) in enumerate(rows):
        entries.append(
            TimelineEntry(
                pk=1000 + n,
                lead_id=lead.pk,
                kind=kind,
                body=body,
                data=data,
                created_at=moment,
                actor_id=actor_id if n % 2 else None,
                actor_label=NASTY if n % 3 else "",
            )
        )
    return entries


@pytest.mark.parametrize("language", ["en", "es", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid", "America/Mexico_City"])
def test_each_kind_is_written_as_its_template_wrote_it(tenant, owner, language, zone):
    lead = LeadFactory()
    stages = {item.key: item for item in Stage.objects.all()}
    user = owner.user
    include = engines["django"].from_string(INCLUDE)
    with translation.override(language), timezone.override(zone):
        context = {"user": user, "stages": list(stages.values()), "csrf_token": "tok<en>", "lead": lead}
        writer = TimelineEntries(context)
        for entry in _entries(lead, stages, user.pk):
            expected = include.render({**context, "entry": entry})
            assert _flat(writer.entry(entry)) == _flat(expected), entry.kind


def test_the_note_edit_form_keeps_what_was_typed_and_its_errors(tenant, owner, english):
    lead = LeadFactory()
    entry = TimelineEntryFactory(lead=lead, kind=TimelineEntry.Kind.NOTE, body="old", actor=owner.user)
    form = NoteEditForm({"body": "x" * 10_001})
    assert not form.is_valid()
    include = engines["django"].from_string(INCLUDE)
    context = {"user": owner.user, "csrf_token": "t", "note_edit_form": form, "entry": entry}

    written = TimelineEntries(context).entry(entry)

    assert _flat(written) == _flat(include.render(context))
    assert '<details class="note-edit" open>' in written
    assert '<small class="error">Ensure this value has at most 10000 characters (it has 10001).</small>' in written


def test_a_note_offers_its_edit_form_to_its_author_only(tenant, owner, seller, english):
    entry = TimelineEntryFactory(kind=TimelineEntry.Kind.NOTE, body="hello", actor=owner.user)

    mine = TimelineEntries({"user": owner.user, "csrf_token": "t"}).entry(entry)
    theirs = TimelineEntries({"user": seller.user, "csrf_token": "t"}).entry(entry)

    assert f'action="/leads/{entry.lead_id}/notes/{entry.pk}/edit/"' in mine
    assert f'action="/leads/{entry.lead_id}/notes/{entry.pk}/delete/"' in mine
    assert "note-edit" not in theirs
    assert '<p class="timeline-text">hello</p>' in theirs


def test_the_lead_page_escapes_history_values(tenant, owner, client_for, english):
    lead = LeadFactory(stage=stage("new"))
    TimelineEntryFactory(lead=lead, kind=TimelineEntry.Kind.CALL, body=NASTY, data={"outcome": "busy"})
    TimelineEntryFactory(lead=lead, kind=TimelineEntry.Kind.ASSIGNMENT, data={"to": NASTY})

    body = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()

    escaped = "&lt;b&gt;&quot;Bo&quot; &amp; Co&#x27;s&lt;/b&gt;"
    assert "<b>" not in body
    assert f'<p class="timeline-text">{escaped}</p>' in body
    assert f'<div class="timeline-title">Assigned to {escaped}</div>' in body
    assert '<div class="timeline-title">Call: Busy</div>' in body
