"""Every filter of every list page refuses values no browser sends (NUL bytes, dates at the ends of the
calendar, numbers past any id) with a clear message, never a server error (issue 6, finding 5)."""

import pytest
from django.test import Client

from tenants.models import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NUL = "a\x00b"
HUGE = "9" * 30
NUL_REFUSED = "Null characters are not allowed."
DATE_REFUSED = "Enter a date between 1900-01-01 and 2999-12-31."

# page -> its filters (query string names)
FILTERS = {
    "/staff/": ["q", "status", "page"],
    "/audit/": ["action", "actor", "object_type", "from", "to", "page"],
    "/analytics/": ["date_from", "date_to", "seller"],
    "/leads/": ["q", "stage", "seller", "source", "tag", "score", "created_from", "created_to", "sort", "page"],
    "/leads/export.csv": ["q", "stage", "seller", "created_from", "created_to", "sort"],
    "/pipeline/": ["q", "source", "seller"],
    "/pipeline/columns/": ["q", "source", "seller", "stages"],
    "/admin/core/auditentry/": ["q", "action__exact", "object_type__exact", "created_at__year", "p", "o"],
    "/admin/crm/lead/": ["q", "stage__id__exact", "source__exact", "score__exact", "p", "o"],
}
VALUES = [NUL, "9999-12-31", "0001-01-01", HUGE, "-1", "²"]
CASES = [(page, name, value) for page, names in FILTERS.items() for name in names for value in VALUES]


@pytest.fixture
def owner_client(acme, owner):
    client = Client(HTTP_HOST="acme.localhost", raise_request_exception=False)
    client.force_login(owner.user)
    return client


@pytest.mark.parametrize(("page", "name", "value"), CASES, ids=[f"{p} {n}={v!r}" for p, n, v in CASES])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_no_filter_value_is_a_server_error(owner_client, page, name, value, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = owner_client.get(page, {name: value}, **headers)

    assert response.status_code in {200, 302}


@pytest.mark.parametrize(
    ("page", "name"),
    [("/staff/", "q"), ("/audit/", "action"), ("/audit/", "actor"), ("/audit/", "object_type"), ("/leads/", "q")],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_nul_byte_in_a_search_is_refused_with_a_message(owner_client, page, name, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = owner_client.get(page, {name: NUL}, **headers)

    assert response.status_code == 200
    assert NUL_REFUSED in response.content.decode()


def test_a_nul_byte_in_the_boards_search_is_refused_with_a_message(owner_client):
    response = owner_client.get("/pipeline/", {"q": NUL}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="board-filter-errors" hx-swap-oob="true">' in body
    assert NUL_REFUSED in body


@pytest.mark.parametrize(
    "query", [{"action__exact": NUL}, {"created_at__year": HUGE}, {"q": NUL}], ids=["nul", "year", "search"]
)
def test_the_owners_admin_refuses_unusable_filters_with_a_message(owner_client, query):
    response = owner_client.get("/admin/core/auditentry/", query, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/admin/core/auditentry/", 302)]
    assert "Those filters cannot be used. Showing the whole list instead." in response.content.decode()


def test_a_refused_staff_search_lists_nobody(owner_client, seller):
    response = owner_client.get("/staff/", {"q": NUL})

    assert list(response.context["page"].object_list) == []
    assert "Nobody matches these filters." not in response.content.decode()


def test_a_refused_audit_filter_lists_nothing(owner_client, client_for, seller):
    client_for(seller).post("/profile/", {"full_name": "Some Change", "phone": "", "language": ""})

    response = owner_client.get("/audit/", {"actor": NUL})

    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/Adak"])
@pytest.mark.parametrize(
    "dates",
    [{"date_from": "2026-01-01", "date_to": "9999-12-31"}, {"date_from": "0001-01-01", "date_to": "2026-01-01"}],
)
def test_analytics_refuses_dates_at_the_ends_of_the_calendar(acme, owner_client, zone, dates):
    # 9999-12-31 was a server error: the report counts up to the start of the day after.
    Tenant.objects.filter(pk=acme.pk).update(timezone=zone)

    response = owner_client.get("/analytics/", dates)

    assert response.status_code == 200
    assert response.context["report"] is None
    assert DATE_REFUSED in response.content.decode()


def test_analytics_accepts_the_widest_range_it_allows(owner_client):
    response = owner_client.get("/analytics/", {"date_from": "1900-01-01", "date_to": "2999-12-31"})

    assert response.status_code == 200
    assert response.context["report"] is not None


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", ""), ("", "0001-01-01"), ("2026-02-01", "2026-01-01")])
def test_the_audit_log_refuses_impossible_dates(owner_client, start, end):
    response = owner_client.get("/audit/", {"from": start, "to": end})

    body = response.content.decode()
    assert response.status_code == 200
    assert DATE_REFUSED in body or "The start date must be on or before the end date." in body
    assert list(response.context["page"].object_list) == []
