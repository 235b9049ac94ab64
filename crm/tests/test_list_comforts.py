"""The list scales with the team (issue 7, expectation 4): a next-step column, a column chooser remembered
per person, saved views (shared by owners), tag suggestions and "remove tag", and filters folded on a phone."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry
from crm.models import ListPreference, SavedView
from crm.tests.factories import LeadFactory, TagFactory
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/leads/").status_code == 200
    return len(queries)


def test_the_list_shows_a_next_step_column_sortable_by_due_date(tenant, owner, client_for, english):
    soon = LeadFactory(next_action="Send the quote", next_action_at=timezone.now() + timedelta(days=1))
    later = LeadFactory(next_action="Call back", next_action_at=timezone.now() + timedelta(days=5))

    body = client_for(owner).get("/leads/", {"sort": "next_action"}).content.decode()

    assert "Next step" in body
    assert body.index("Send the quote") < body.index("Call back")
    assert f'data-lead="{soon.pk}"' in body
    assert f'data-lead="{later.pk}"' in body


def test_a_person_chooses_the_columns_and_the_list_remembers(tenant, owner, seller, client_for, english):
    LeadFactory(source="website", seller=seller.user)
    client = client_for(seller)

    response = client.post("/leads/columns/", {"columns": ["stage", "next_step"]}, **HTMX)

    assert response.status_code == 200
    assert ListPreference.objects.get(user=seller.user).columns == ["stage", "next_step"]
    body = client.get("/leads/").content.decode()
    assert 'data-column="stage"' in body
    assert 'data-column="source"' not in body
    # the owner's list keeps every column
    assert 'data-column="source"' in client_for(owner).get("/leads/").content.decode()


def test_unknown_columns_are_ignored(tenant, owner, client_for):
    client_for(owner).post("/leads/columns/", {"columns": ["stage", "password", "<script>"]}, **HTMX)

    assert ListPreference.objects.get(user=owner.user).columns == ["stage"]


def test_list_queries_stay_constant_with_3_or_30_leads(tenant, owner, seller, client_for):
    client = client_for(owner)
    tag = TagFactory(name="vip")
    SavedView.objects.create(name="Mine", query="source=website", user=owner.user)

    def add(n):
        for _ in range(n):
            lead = LeadFactory(seller=seller.user, next_action="Call", next_action_at=timezone.now())
            lead.tags.add(tag)

    add(3)
    three = _list_queries(client)
    add(27)
    assert _list_queries(client) == three


# Saved views


def test_a_seller_saves_a_private_view_and_applies_it(tenant, acme, make_member, client_for, english):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)

    response = client_for(me).post(
        "/leads/views/", {"name": "Hot web", "query": "source=website&score=hot&page=3", "shared": "on"}, **HTMX
    )

    view = SavedView.objects.get(name="Hot web")
    assert (view.user_id, view.query, view.shared) == (me.user_id, "source=website&score=hot", False)
    assert response.status_code == 200
    assert "/leads/?source=website&amp;score=hot" in client_for(me).get("/leads/").content.decode()
    assert "Hot web" not in client_for(other).get("/leads/").content.decode()
    assert AuditEntry.objects.filter(action="view.create").count() == 1


def test_an_owner_shares_a_view_with_everyone(tenant, owner, seller, client_for, english):
    client_for(owner).post("/leads/views/", {"name": "Team hot", "query": "score=hot", "shared": "on"}, **HTMX)

    assert SavedView.objects.get(name="Team hot").shared is True
    assert "Team hot" in client_for(seller).get("/leads/").content.decode()


def test_a_view_is_deleted_by_its_author_or_an_owner_only(tenant, acme, owner, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    mine = SavedView.objects.create(name="Mine", query="score=hot", user=me.user)
    shared = SavedView.objects.create(name="Shared", query="score=cold", user=owner.user, shared=True)

    assert client_for(other).post(f"/leads/views/{mine.pk}/delete/", **HTMX).status_code == 404
    assert client_for(me).post(f"/leads/views/{shared.pk}/delete/", **HTMX).status_code == 404
    assert SavedView.objects.count() == 2
    assert client_for(me).post(f"/leads/views/{mine.pk}/delete/", **HTMX).status_code == 200
    assert client_for(owner).post(f"/leads/views/{shared.pk}/delete/", **HTMX).status_code == 200
    assert SavedView.objects.count() == 0


def test_a_view_needs_a_name(tenant, owner, client_for, english):
    response = client_for(owner).post("/leads/views/", {"name": " ", "query": "score=hot"}, **HTMX)

    assert response.status_code == 422
    assert not SavedView.objects.exists()


def test_views_and_columns_from_globex_or_anonymous_change_nothing(tenant, acme, owner, globex_owner, client_for):
    view = SavedView.objects.create(name="Acme secret view", query="score=hot", user=owner.user, shared=True)
    posts = [
        ("/leads/views/", {"name": "Intruder", "query": ""}),
        (f"/leads/views/{view.pk}/delete/", {}),
        ("/leads/columns/", {"columns": ["stage"]}),
    ]

    for url, data in posts:
        assert client_for(globex_owner.user, acme).post(url, data).status_code == 403
        assert Client(HTTP_HOST="acme.localhost").post(url, data).status_code == 302
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Acme secret view"]
    assert not ListPreference.objects.exists()
    on_globex = client_for(globex_owner).get("/leads/").content.decode()
    assert "Acme secret view" not in on_globex


# Tags


def test_the_bulk_bar_suggests_existing_tags_and_offers_remove_tag(tenant, owner, client_for, english):
    TagFactory(name="vip")
    TagFactory(name="fair-2026")
    LeadFactory()

    body = client_for(owner).get("/leads/").content.decode()

    assert '<datalist id="tag-suggestions">' in body
    assert '<option value="vip">' in body
    assert 'value="untag"' in body


def test_remove_tag_in_bulk_is_confirmed_then_done_and_audited(tenant, owner, client_for, english):
    tag = TagFactory(name="vip")
    tagged, untagged = LeadFactory(), LeadFactory()
    tagged.tags.add(tag)
    client = client_for(owner)
    data = {"ids": [tagged.pk, untagged.pk], "action": "untag", "tag": "VIP"}

    question = client.post("/leads/bulk/", data, **HTMX)
    assert "Remove the tag “VIP” from 2 leads?" in question.content.decode()
    assert tagged.tags.count() == 1
    client.post("/leads/bulk/", {**data, "confirmed": "1"}, **HTMX)

    assert tagged.tags.count() == 0
    assert AuditEntry.objects.filter(action="lead.untag", object_id=str(tagged.pk)).count() == 1
    assert not AuditEntry.objects.filter(action="lead.untag", object_id=str(untagged.pk)).exists()


def test_on_a_phone_the_filters_fold_behind_one_button(tenant, owner, client_for):
    body = client_for(owner).get("/leads/", {"source": "website"}).content.decode()

    assert "data-filters-toggle" in body
    assert 'data-active-filters="1"' in body
