"""Query and form values no browser sends (odd digits, numbers past any id) get an ordinary answer, never a
server error."""

import pytest
from django.test import Client

from crm.tests.factories import LeadFactory, stage

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
CASES = [
    ("get", "/pipeline/column/{new}/?offset=²", {}, 200),
    ("get", "/pipeline/column/{new}/?offset=" + HUGE, {}, 200),
    ("get", "/pipeline/columns/?stages=²,{new}", {}, 200),
    ("get", "/leads/{lead}/?before=²", {}, 200),
    ("get", "/leads/{lead}/timeline/?before=²", {}, 200),
    ("get", "/leads/{lead}/timeline/?before=" + HUGE, {}, 200),
    ("post", "/pipeline/stages/reorder/", {"order": "²,{new}"}, 302),
    ("post", "/pipeline/move/", {"lead": "{lead}", "stage": "{won}", "from_stage": "²"}, 400),
]


@pytest.mark.parametrize(("method", "url", "data", "status"), CASES, ids=[f"{m} {u}" for m, u, _d, _s in CASES])
def test_odd_numbers_get_an_ordinary_answer(tenant, owner, method, url, data, status):
    client = Client(HTTP_HOST="acme.localhost", raise_request_exception=False)
    client.force_login(owner.user)
    values = {"new": stage("new").pk, "won": stage("won").pk, "lead": LeadFactory(stage=stage("new")).pk}

    response = getattr(client, method)(url.format(**values), {k: v.format(**values) for k, v in data.items()})

    assert response.status_code == status
