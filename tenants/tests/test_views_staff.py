"""The owners' Staff page: list, approve, reject, disable, enable, edit, and what other tenants can do."""

import pytest
from django.contrib.messages import get_messages

from core.models import AuditEntry
from tenants.models import Membership, MembershipStatus, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def pending(acme, make_member) -> Membership:
    return make_member(acme, Role.SELLER, MembershipStatus.PENDING, full_name="Pat Pending")


def test_staff_list_shows_every_member_of_the_tenant(acme, owner, seller, pending, client_for):
    response = client_for(owner).get("/staff/")

    assert response.status_code == 200
    emails = {m.user.email for m in response.context["page"].object_list}
    assert emails == {"founder@acme.test", owner.user.email, seller.user.email, pending.user.email}


def test_staff_list_puts_requests_waiting_for_an_answer_first(acme, owner, make_member, client_for):
    make_member(acme, Role.SELLER, MembershipStatus.DISABLED, full_name="Aaron Away")
    make_member(acme, Role.SELLER, MembershipStatus.PENDING, full_name="Zoe Waiting")
    make_member(acme, Role.SELLER, MembershipStatus.ACTIVE, full_name="Abel Active")

    response = client_for(owner).get("/staff/")

    statuses = [m.status for m in response.context["page"].object_list]
    names = [m.user.full_name for m in response.context["page"].object_list]
    assert (statuses[0], names[0]) == (MembershipStatus.PENDING, "Zoe Waiting")
    assert (statuses[-1], names[-1]) == (MembershipStatus.DISABLED, "Aaron Away")
    assert set(statuses[1:-1]) == {MembershipStatus.ACTIVE}
    assert names[1] == "Abel Active"


def test_staff_list_filters_by_status_and_search(acme, owner, seller, pending, client_for):
    client = client_for(owner)

    by_status = client.get("/staff/", {"status": "pending"})
    by_search = client.get("/staff/", {"q": seller.user.email.upper()})

    assert [m.pk for m in by_status.context["page"].object_list] == [pending.pk]
    assert [m.pk for m in by_search.context["page"].object_list] == [seller.pk]


def test_staff_list_answers_htmx_with_the_table_fragment_only(owner, pending, client_for):
    response = client_for(owner).get("/staff/", {"status": "pending"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="staff-table">')
    assert "<html" not in body
    assert pending.user.email in body


def test_owner_approves_a_request_with_a_role(owner, pending, client_for):
    response = client_for(owner).post(f"/staff/{pending.pk}/approve/", {"role": Role.MARKETING})

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.role) == (MembershipStatus.ACTIVE, Role.MARKETING)
    assert _messages(response) == ["Pat Pending can now sign in."]


def test_approve_with_an_unknown_role_changes_nothing(acme, owner, pending, client_for, in_schema):
    response = client_for(owner).post(f"/staff/{pending.pk}/approve/", {"role": "superhero"})

    assert response.status_code == 302
    assert _messages(response) == ["Choose a valid role."]
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING
    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="membership.approve").exists()


def test_owner_rejects_a_request(acme, owner, pending, client_for, in_schema):
    pk = pending.pk

    response = client_for(owner).post(f"/staff/{pk}/reject/")

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=pk).exists()
    assert _messages(response) == ["The request from Pat Pending was rejected."]
    with in_schema(acme):
        assert AuditEntry.objects.filter(action="membership.reject", object_id=str(pk)).count() == 1


def test_owner_disables_then_enables_a_member(owner, seller, client_for):
    client = client_for(owner)

    client.post(f"/staff/{seller.pk}/disable/")
    seller.refresh_from_db()
    assert seller.status == MembershipStatus.DISABLED
    assert client_for(seller).get("/").status_code == 403

    client.post(f"/staff/{seller.pk}/enable/")
    seller.refresh_from_db()
    assert seller.status == MembershipStatus.ACTIVE
    assert client_for(seller).get("/").status_code == 200


def test_owner_cannot_disable_themselves(owner, client_for):
    response = client_for(owner).post(f"/staff/{owner.pk}/disable/")

    assert response.status_code == 302
    assert _messages(response) == ["You cannot disable yourself."]
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.ACTIVE


def test_staff_actions_are_post_only(owner, pending, client_for):
    client = client_for(owner)

    for action in ("approve", "reject", "disable", "enable"):
        assert client.get(f"/staff/{pending.pk}/{action}/").status_code == 405
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING


def test_staff_action_ignores_a_next_url_on_another_host(owner, pending, client_for):
    response = client_for(owner).post(
        f"/staff/{pending.pk}/approve/", {"role": Role.SELLER, "next": "https://evil.example/phish"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_staff_action_follows_a_local_next_url(owner, pending, client_for):
    response = client_for(owner).post(f"/staff/{pending.pk}/approve/", {"role": Role.SELLER, "next": "/?from=staff"})

    assert response["Location"] == "/?from=staff"


def test_owner_changes_a_members_role(acme, owner, seller, client_for, in_schema):
    response = client_for(owner).post(f"/staff/{seller.pk}/edit/", {"role": Role.ACCOUNTANT})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    seller.refresh_from_db()
    assert seller.role == Role.ACCOUNTANT
    with in_schema(acme):
        assert AuditEntry.objects.get(action="member.update").changes == {
            "role": {"before": "seller", "after": "accountant"}
        }


@pytest.mark.parametrize("status", [MembershipStatus.ACTIVE, MembershipStatus.PENDING, MembershipStatus.DISABLED])
def test_an_owner_cannot_change_a_members_account_details(acme, owner, make_member, client_for, status):
    # The account (name, phone) is shared with every company the person works for: it is theirs to change.
    member = make_member(acme, Role.SELLER, status, full_name="Sam Original", phone="+34 600 111 222")

    response = client_for(owner).post(
        f"/staff/{member.pk}/edit/", {"full_name": "Renamed By Owner", "phone": "+1 555 0100", "role": Role.SELLER}
    )

    assert response.status_code == 302
    member.user.refresh_from_db()
    assert (member.user.full_name, member.user.phone) == ("Sam Original", "+34 600 111 222")


def test_edit_page_shows_the_member_and_offers_only_the_role(owner, seller, client_for):
    response = client_for(owner).get(f"/staff/{seller.pk}/edit/")

    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["role"]
    assert response.context["form"].initial == {"role": Role.SELLER}
    body = response.content.decode()
    assert seller.user.full_name in body
    assert 'name="full_name"' not in body
    assert 'name="phone"' not in body


def test_the_last_active_owner_cannot_demote_themselves(acme, owner, client_for):
    Membership.objects.filter(tenant=acme, role=Role.OWNER).exclude(pk=owner.pk).update(
        status=MembershipStatus.DISABLED
    )

    response = client_for(owner).post(f"/staff/{owner.pk}/edit/", {"role": Role.SELLER})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["A company needs at least one active owner."]
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_can_hand_over_when_another_owner_is_active(acme, owner, client_for):
    response = client_for(owner).post(f"/staff/{owner.pk}/edit/", {"role": "seller"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.role == Role.SELLER


def test_owner_cannot_act_on_another_tenants_membership(owner, globex, make_member, client_for):
    foreign = make_member(globex, Role.SELLER, MembershipStatus.PENDING)
    client = client_for(owner)

    assert client.post(f"/staff/{foreign.pk}/approve/", {"role": Role.OWNER}).status_code == 404
    assert client.post(f"/staff/{foreign.pk}/reject/").status_code == 404
    assert client.get(f"/staff/{foreign.pk}/edit/").status_code == 404
    foreign.refresh_from_db()
    assert (foreign.status, foreign.role) == (MembershipStatus.PENDING, Role.SELLER)


def test_another_tenants_owner_cannot_approve_here(globex_owner, pending, client_for, acme):
    response = client_for(globex_owner, acme).post(f"/staff/{pending.pk}/approve/", {"role": Role.OWNER})

    assert response.status_code == 403
    pending.refresh_from_db()
    assert (pending.status, pending.role) == (MembershipStatus.PENDING, Role.SELLER)


def test_seller_cannot_approve(seller, pending, client_for):
    response = client_for(seller).post(f"/staff/{pending.pk}/approve/", {"role": Role.OWNER})

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == MembershipStatus.PENDING
