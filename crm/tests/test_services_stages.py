import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import Stage
from crm.services.stages import stage_create, stage_delete, stage_rename, stage_reorder
from crm.tests.factories import LeadFactory, stage

pytestmark = pytest.mark.django_db


def _order() -> list[str]:
    return [s.key or s.name for s in Stage.objects.order_by("position", "id")]


def test_a_new_open_stage_goes_before_won_and_lost(tenant, owner):
    created = stage_create(name="  Demo  ", actor=owner.user)

    assert (created.name, created.kind, created.key) == ("Demo", Stage.Kind.OPEN, "")
    assert _order() == ["new", "contacted", "interested", "negotiation", "Demo", "won", "lost"]
    assert AuditEntry.objects.filter(action="stage.create", object_id=str(created.pk)).count() == 1


def test_a_new_closed_stage_goes_last(tenant, owner):
    stage_create(name="Lost to competitor", kind=Stage.Kind.LOST, actor=owner.user)

    assert _order()[-1] == "Lost to competitor"


@pytest.mark.parametrize(("name", "kind"), [("", Stage.Kind.OPEN), ("Ok", "maybe")])
def test_a_stage_needs_a_name_and_a_known_kind(tenant, owner, name, kind):
    with pytest.raises(ApplicationError):
        stage_create(name=name, kind=kind, actor=owner.user)

    assert Stage.objects.count() == 6


def test_renaming_and_empty_name_returns_to_the_translated_default(tenant, owner):
    new = stage("new")

    stage_rename(stage=new, name="Inbox", actor=owner.user)
    assert stage("new").display_name == "Inbox"
    stage_rename(stage=new, name="  ", actor=owner.user)

    assert stage("new").name == ""
    assert stage("new").display_name == str(Stage.DEFAULT_NAMES["new"])
    changes = [entry.changes["name"] for entry in AuditEntry.objects.filter(action="stage.rename").order_by("id")]
    default = str(Stage.DEFAULT_NAMES["new"])
    assert changes == [{"before": default, "after": "Inbox"}, {"before": "Inbox", "after": default}]


def test_an_added_stage_cannot_lose_its_name(tenant, owner):
    added = stage_create(name="Demo", actor=owner.user)

    with pytest.raises(ApplicationError):
        stage_rename(stage=added, name="", actor=owner.user)

    added.refresh_from_db()
    assert added.name == "Demo"


def test_reorder_needs_every_stage_once(tenant, owner):
    ids = list(Stage.objects.values_list("pk", flat=True))

    with pytest.raises(ApplicationError):
        stage_reorder(ordered_ids=ids[:-1], actor=owner.user)
    with pytest.raises(ApplicationError):
        stage_reorder(ordered_ids=[*ids[:-1], ids[0]], actor=owner.user)

    assert _order() == ["new", "contacted", "interested", "negotiation", "won", "lost"]
    stage_reorder(ordered_ids=[*reversed(ids[:4]), *reversed(ids[4:])], actor=owner.user)
    assert _order() == ["negotiation", "interested", "contacted", "new", "lost", "won"]


def test_only_an_empty_stage_can_be_deleted(tenant, owner):
    LeadFactory(stage=stage("contacted"))

    with pytest.raises(ApplicationError):
        stage_delete(stage=stage("contacted"), actor=owner.user)
    stage_delete(stage=stage("interested"), actor=owner.user)

    assert _order() == ["new", "contacted", "negotiation", "won", "lost"]
    assert AuditEntry.objects.filter(action="stage.delete").count() == 1


@pytest.mark.parametrize("key", ["won", "lost"])
def test_the_last_won_or_lost_stage_stays(tenant, owner, key):
    with pytest.raises(ApplicationError):
        stage_delete(stage=stage(key), actor=owner.user)

    assert Stage.objects.filter(key=key).exists()


def test_the_last_open_stage_stays(tenant, owner):
    for key in ("new", "contacted", "interested"):
        stage_delete(stage=stage(key), actor=owner.user)

    with pytest.raises(ApplicationError):
        stage_delete(stage=stage("negotiation"), actor=owner.user)

    assert _order() == ["negotiation", "won", "lost"]
