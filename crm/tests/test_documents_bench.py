import json
from io import StringIO

import pytest
from django.core.management import call_command

from tenants.models import Tenant, User

pytestmark = pytest.mark.django_db


def _run(documents: int) -> dict:
    out = StringIO()
    call_command("bench_documents", documents=documents, lines=documents * 5, leads=60, requests=1, stdout=out)
    return json.loads(out.getvalue())


def test_the_documents_bench_measures_every_page_with_the_same_queries_for_few_and_more_documents():
    small, larger = _run(60), _run(240)  # both past one page of 50

    for report, wanted in ((small, 60), (larger, 240)):
        assert wanted <= report["documents"] < wanted + 10
        assert report["lines"] >= report["documents"]
        for key in ("list_filtered", "list", "list_search", "orders_board", "invoice_page", "invoice_pdf",
                    "draft_quote_page"):  # fmt: skip
            page = report["results"][key]
            assert page["status"] == 200, key
            assert page["queries"] >= 3, key
    for key, page in small["results"].items():
        assert larger["results"][key]["queries"] == page["queries"], key
    assert not Tenant.objects.filter(slug__startswith="bench-").exists()
    assert not User.objects.filter(email__endswith=".bench").exists()
