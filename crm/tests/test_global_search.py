"""A search box in the header finds a lead by name, phone or email from any page (issue 7, expectation 4):
an htmx dropdown of the leads the person may see."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_header_has_the_search_on_every_page_for_owners_and_sellers(tenant, owner, seller, client_for):
    for who in (owner, seller):
        for url in ("/", "/pipeline/", "/leads/"):
            assert 'id="global-search"' in client_for(who).get(url).content.decode(), (who, url)


def test_an_owner_finds_a_lead_by_name_phone_or_email(tenant, owner, client_for):
    lead = LeadFactory(first_name="Gloria", last_name="Global", phone="+34611222333", email="gloria@found.example")
    LeadFactory(first_name="Other", last_name="Person", phone="+34699000111", email="other@else.example")
    client = client_for(owner)

    for query in ("glob", "Gloria Global", "611 222", "gloria@found.example"):
        body = client.get("/search/", {"q": query}, **HTMX).content.decode()
        assert f'href="/leads/{lead.pk}/"' in body, query
        assert "Other Person" not in body, query


def test_a_seller_finds_only_their_own_leads(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    LeadFactory(first_name="Mine", last_name="Searchable", seller=me.user)
    LeadFactory(first_name="Theirs", last_name="Searchable", seller=other.user)

    body = client_for(me).get("/search/", {"q": "searchable"}, **HTMX).content.decode()

    assert "Mine Searchable" in body
    assert "Theirs Searchable" not in body


def test_no_match_says_so_and_links_to_the_list_search(tenant, owner, client_for, english):
    body = client_for(owner).get("/search/", {"q": "zzzznothing"}, **HTMX).content.decode()

    assert "No lead matches" in body
    assert "/leads/?q=zzzznothing" in body


def test_an_empty_query_answers_nothing(tenant, owner, client_for):
    LeadFactory(first_name="Any")

    response = client_for(owner).get("/search/", {"q": "  "}, **HTMX)

    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_search_queries_do_not_grow_with_matches(tenant, owner, client_for):
    client = client_for(owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get("/search/", {"q": "same"}, **HTMX)
        return len(queries)

    for _ in range(3):
        LeadFactory(first_name="Same")
    three = count()
    for _ in range(27):
        LeadFactory(first_name="Same")
    assert count() == three


def test_search_from_globex_another_role_or_anonymous_shows_nothing_of_acme(
    tenant, acme, globex_owner, make_member, client_for
):
    LeadFactory(first_name="Zenobia", last_name="Hidden")
    accountant = make_member(acme, Role.ACCOUNTANT)

    on_acme = client_for(globex_owner.user, acme).get("/search/", {"q": "zenobia"}, **HTMX)
    on_globex = client_for(globex_owner).get("/search/", {"q": "zenobia"}, **HTMX)
    as_accountant = client_for(accountant).get("/search/", {"q": "zenobia"}, **HTMX)
    anonymous = Client(HTTP_HOST="acme.localhost").get("/search/", {"q": "zenobia"})

    assert on_acme.status_code == 403
    assert "Zenobia" not in on_acme.content.decode()
    assert on_globex.status_code == 200
    assert "Zenobia" not in on_globex.content.decode()
    assert as_accountant.status_code == 403
    assert anonymous.status_code == 302
