from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import schema_context

from crm import demo
from crm.models import Lead, Stage, Tag, TimelineEntry
from crm.search import search_text_for
from crm.seeding import CONTENT
from tenants.models import Role, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(acme, globex, make_member):
    """The demo logins seed_demo creates: an owner and two sellers per tenant."""
    people = {}
    for tenant in (acme, globex):
        for key, role in (("owner", Role.OWNER), ("seller1", Role.SELLER), ("seller2", Role.SELLER)):
            people[(tenant.slug, key)] = make_member(tenant, role, email=f"{key}@{tenant.slug}.test")
    return people


def counts() -> tuple[int, int, int, int]:
    return Lead.objects.count(), TimelineEntry.objects.count(), Tag.objects.count(), Lead.tags.through.objects.count()


def test_seed_demo_fills_both_tenants_through_the_registered_seeder(acme, globex):
    Tenant.objects.filter(pk=globex.pk).update(language="en")

    call_command("seed_demo", stdout=StringIO())

    with schema_context(acme.schema_name):
        assert Lead.objects.count() == 300
        assert Lead.objects.filter(phone__startswith="+34").count() == 300
    with schema_context(globex.schema_name):
        assert Lead.objects.count() == 200
        assert Lead.objects.filter(phone__startswith="+1").count() == 200


def test_seed_is_idempotent(acme, demo_people):
    with schema_context(acme.schema_name):
        demo.seed(tenant=acme, stdout=StringIO())
        first = counts()
        out = StringIO()

        added = demo.seed(tenant=acme, stdout=out)

        assert added == 0
        assert counts() == first
        assert "already present" in out.getvalue()


def test_seeded_leads_look_like_a_real_pipeline(acme, demo_people):
    sellers = {demo_people[("acme", key)].user_id for key in ("owner", "seller1", "seller2")}
    with schema_context(acme.schema_name):
        demo.seed(tenant=acme, stdout=StringIO())
        now = timezone.now()

        per_stage = dict(Lead.objects.values_list("stage__key").annotate(n=Count("id")))
        assert set(per_stage) == {"new", "contacted", "interested", "negotiation", "won", "lost"}
        assigned = set(Lead.objects.exclude(seller=None).values_list("seller_id", flat=True))
        assert assigned == sellers
        assert set(Lead.objects.values_list("source", flat=True)) == set(Lead.Source.values)
        assert Lead.objects.filter(created_at__lt=now - timedelta(days=120, minutes=1)).count() == 0
        assert Lead.objects.filter(created_at__lt=now - timedelta(days=60)).count() > 50
        closed = Lead.objects.filter(stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST])
        assert closed.filter(closed_at=None).count() == 0
        assert Lead.objects.filter(stage__kind=Stage.Kind.OPEN).exclude(closed_at=None).count() == 0
        assert Lead.objects.filter(stage__kind=Stage.Kind.LOST, lost_reason="").count() == 0
        assert Lead.objects.filter(stage__kind=Stage.Kind.OPEN).exclude(next_action_at=None).count() > 30
        assert Lead.objects.filter(next_action_at__lt=now).exists()  # some tasks overdue
        # Every lead's history starts with its creation, at its creation time, and moves forward.
        created = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CREATED)
        assert created.count() == 300
        lead = closed.filter(stage__kind=Stage.Kind.WON).order_by("id").first()
        history = list(lead.timeline.order_by("created_at", "id"))
        assert history[0].kind == TimelineEntry.Kind.CREATED
        assert history[0].created_at == lead.created_at
        moves = [entry for entry in history if entry.kind == TimelineEntry.Kind.STAGE]
        assert [entry.data["to_id"] for entry in moves][-1] == lead.stage_id
        assert moves[-1].created_at == lead.closed_at
        assert all(entry.created_at <= lead.closed_at for entry in history)
        assert TimelineEntry.objects.filter(kind__in=["note", "call"]).count() > 300
        # Search text is filled as the services would.
        for sample in Lead.objects.order_by("id")[:20]:
            assert sample.search_text == search_text_for(
                first_name=sample.first_name,
                last_name=sample.last_name,
                email=sample.email,
                company=sample.company,
                phone=sample.phone,
            )


def test_seeded_calls_read_like_their_outcome(acme, demo_people):

    written = {
        outcome: {entry[0] if isinstance(entry, tuple) else entry for entry in texts}
        for outcome, texts in CONTENT["es"]["calls"].items()
    }
    lengths = {body: (shortest, longest) for body, shortest, longest in CONTENT["es"]["calls"]["answered"]}
    with schema_context(acme.schema_name):
        demo.seed(tenant=acme, stdout=StringIO())

        calls = list(TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CALL).values_list("body", "data"))

    assert {data["outcome"] for _body, data in calls} == {"answered", "no_answer", "voicemail", "busy"}
    for body, data in calls:
        assert body in written[data["outcome"]]
        if data["outcome"] == "answered":
            assert lengths[body][0] <= data["duration"] <= lengths[body][1]
        else:
            assert data["duration"] == 0


def test_seed_is_deterministic(acme, demo_people):
    with schema_context(acme.schema_name):
        demo.seed(tenant=acme, stdout=StringIO())
        first = list(Lead.objects.order_by("id").values_list("first_name", "last_name", "phone", "stage__key"))
        Lead.objects.all().delete()

        demo.seed(tenant=acme, stdout=StringIO())

        again = list(Lead.objects.order_by("id").values_list("first_name", "last_name", "phone", "stage__key"))
        assert again == first
