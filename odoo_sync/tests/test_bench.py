import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.models import Tenant, User

pytestmark = pytest.mark.django_db


def test_the_bench_pushes_every_order_once_reports_calls_and_leaves_nothing_behind():
    out = StringIO()

    call_command("bench_odoo", orders=4, workers=0, stdout=out)

    report = json.loads(out.getvalue())
    assert (report["orders"], report["done"], report["failed"], report["unfinished"]) == (4, 4, 0, 0)
    assert report["odoo_records"]["sale.order"] == 4
    assert report["odoo_records"]["stock.picking"] == 4
    assert report["odoo_records"]["res.partner"] == 4
    assert report["calls_per_document"]["sale.order.create"] == 1.0
    assert report["documents_per_second"] > 0
    assert report["sql_queries_per_document"] > 0
    assert not Tenant.objects.filter(slug__startswith="bench-").exists()
    assert not User.objects.filter(email__endswith=".bench").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'bench%%'")
        assert cursor.fetchone()[0] == 0


def test_the_bench_refuses_nonsense():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("bench_odoo", orders=0, workers=0, stdout=StringIO())
