"""Spare schemas made ahead of time: a company created from one is indistinguishable from one built by
migrations, a spare of an older template is never used, two creations never share one, and a creation
that rolls back leaves the spare where it was."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from tenants import schema_spares
from tenants.schema_spares import spare_schemas, spare_take, spares_refill
from tenants.schema_template import clone_from_template, template_schema
from tenants.services import tenant_create
from tenants.tests.test_schema_template import _catalog

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def spares(settings):
    """Two spares of the current template; whatever spares remain afterwards are dropped."""
    settings.TENANT_SPARE_SCHEMAS = 2
    spares_refill(source=template_schema())
    yield
    with connection.cursor() as cursor:
        for name, _key in spare_schemas():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def refills(monkeypatch):
    """The refill requests a creation sends after its commit (no broker round trip)."""
    asked = []
    monkeypatch.setattr(schema_spares, "_ask_for_refill", lambda: asked.append(True))
    return asked


def test_a_refill_makes_the_configured_number_of_current_spares(spares):
    assert len(spare_schemas()) == 2
    assert spares_refill(source=template_schema()) == {"dropped": 0, "made": 0, "spares": 2}


def test_a_company_made_from_a_spare_has_exactly_what_migrations_give_it(
    spares, refills, django_capture_on_commit_callbacks
):
    before = {name for name, _key in spare_schemas()}
    with django_capture_on_commit_callbacks(execute=True):
        assert clone_from_template("cmp_spared") is True
    after = {name for name, _key in spare_schemas()}
    assert len(after) == 1
    assert after < before  # one spare became the company
    assert refills == [True]  # and a refill was asked for once it committed
    assert clone_from_template("cmp_copied") is True  # the second spare

    spared = _catalog("cmp_spared")
    assert spared["counts"]["django_migrations"] > 10
    assert spared == _catalog("cmp_copied")
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'cmp_spared'")
        assert cursor.fetchone() == (None,)  # no longer marked as a spare


def test_the_rollup_triggers_work_in_a_company_made_from_a_spare(spares, refills):
    """Functions and triggers moved with the renamed schema and resolve its tables, not the spare's name."""
    from crm.models import Lead, Stage
    from crm.rollups import rollups_verify

    assert clone_from_template("cmp_triggers") is True
    connection.set_schema("cmp_triggers")
    Lead.objects.create(phone="+34600111222", first_name="Ana", stage=Stage.objects.order_by("position").first())
    assert rollups_verify() == {}
    connection.set_schema_to_public()


def test_a_spare_of_an_older_template_is_not_used_and_is_replaced(spares, refills):
    with connection.cursor() as cursor:
        for name, _key in spare_schemas():
            cursor.execute(f"COMMENT ON SCHEMA \"{name}\" IS '1,1,1,1'")  # as if made before a migration
    old = {name for name, _key in spare_schemas()}

    assert spare_take("cmp_not_from_old", source=template_schema()) is False
    assert {name for name, _key in spare_schemas()} == old

    result = spares_refill(source=template_schema())
    assert (result["dropped"], result["made"]) == (2, 2)
    assert not old & {name for name, _key in spare_schemas()}


def test_a_creation_that_rolls_back_leaves_the_spare(spares, refills):
    before = spare_schemas()

    class Abort(Exception):
        pass

    def create_then_fail():
        with transaction.atomic():
            assert spare_take("cmp_rolled_back", source=template_schema()) is True
            raise Abort

    with pytest.raises(Abort):
        create_then_fail()

    assert spare_schemas() == before


def test_a_spare_claimed_by_another_creation_is_skipped(spares, refills):
    """Another transaction holds the first spare (it is renaming it): this creation takes the second."""
    first, second = (name for name, _key in spare_schemas())
    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
    ) as other:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [schema_spares.LOCK_PREFIX + first])

        assert spare_take("cmp_second", source=template_schema()) is True
        remaining = [name for name, _key in spare_schemas()]
        other.execute("ROLLBACK")

    assert remaining == [first]
    assert second not in remaining


def test_without_spares_a_company_is_copied_from_the_template(settings, refills):
    settings.TENANT_SPARE_SCHEMAS = 0
    assert spare_schemas() == []
    assert clone_from_template("cmp_plain") is True
    assert _catalog("cmp_plain")["counts"]["django_migrations"] > 10


def test_creating_a_company_through_the_service_uses_a_spare(spares, refills):
    before = len(spare_schemas())
    tenant = tenant_create(name="Spared", slug="spared-co", owner_email="owner@spared.example")
    assert len(spare_schemas()) == before - 1
    connection.set_schema(tenant.schema_name)
    from crm.models import Stage

    assert Stage.objects.exists()
    connection.set_schema_to_public()


def test_one_refill_runs_at_a_time(spares, settings):
    from django.core.cache import cache

    from tenants.tasks import SPARES_LOCK, spares_refill_task

    cache.add(SPARES_LOCK, 1, timeout=60)
    try:
        assert spares_refill_task.run() is None  # another refill is running
    finally:
        cache.delete(SPARES_LOCK)
    assert spares_refill_task.run() == {"dropped": 0, "made": 0, "spares": 2}
    assert cache.get(SPARES_LOCK) is None


def test_a_smaller_pool_drops_the_spares_beyond_it(spares):
    assert spares_refill(source=template_schema(), target=1) == {"dropped": 1, "made": 0, "spares": 1}
    assert len(spare_schemas()) == 1
