"""The three transports against the fake Odoo on loopback: same answers, Odoo's errors sorted into
transient and permanent, and the facts seen against a real Odoo 17 handled."""

from __future__ import annotations

import pytest

from core.errors import PermanentClientError, TransientClientError
from odoo_sync.clients.odoo import OdooConfig, OdooNotConfigured, get_odoo_client, transport_for
from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer

PROTOCOLS = [("17.0", "xmlrpc"), ("17.0", "jsonrpc"), ("19.0", "json2"), ("19.0", "xmlrpc")]


@pytest.fixture(params=PROTOCOLS, ids=[f"{p}-{v}" for v, p in PROTOCOLS])
def served(request):
    version, protocol = request.param
    with FakeOdooServer(FakeOdoo(version=version)) as server:
        yield (
            server,
            transport_for(
                OdooConfig(server.url, server.store.database, server.store.login, server.store.secret, protocol, 5)
            ),
        )


def test_every_protocol_reads_the_version_and_creates_searches_and_writes(served):
    server, client = served

    version = client.version()
    partner = client.create("res.partner", {"name": "Ana", "phone": "+34600111222"})
    client.write("res.partner", [partner], {"email": "ana@example.com"})
    found = client.search_read("res.partner", [("phone", "=", "+34600111222")], ["name", "email"])

    assert version.major == server.store.major
    assert found == [{"id": partner, "name": "Ana", "email": "ana@example.com"}]
    assert server.store.count("res.partner") == 1


def test_record_methods_and_wizards_go_through_every_protocol(served):
    server, client = served
    partner = client.create("res.partner", {"name": "Ana"})
    product = client.create("product.product", {"name": "Chair", "list_price": 10.0})
    order = client.create(
        "sale.order", {"partner_id": partner, "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 2})]}
    )

    client.call("sale.order", "action_confirm", [order])
    context = {"active_model": "sale.order", "active_ids": [order], "active_id": order}
    wizard = client.create("sale.advance.payment.inv", {"advance_payment_method": "delivered"}, context=context)
    action = client.call("sale.advance.payment.inv", "create_invoices", [wizard], context=context)

    assert client.read("sale.order", [order], ["state"]) == [{"id": order, "state": "sale"}]
    assert action["res_model"] == "account.move"
    assert server.store.count("account.move", move_type="out_invoice") == 1


def test_a_private_method_is_refused_as_permanent(served):
    _server, client = served
    order = client.create("sale.order", {"partner_id": client.create("res.partner", {"name": "Ana"})})

    with pytest.raises(PermanentClientError, match="Private methods"):
        client.call("sale.order", "_create_invoices", [order])


def test_odoo_user_errors_are_permanent_with_odoos_message(served):
    server, client = served
    server.store.faults.fail["res.partner.create"] = ("UserError", "The VAT number is not valid")

    with pytest.raises(PermanentClientError, match="The VAT number is not valid"):
        client.create("res.partner", {"name": "Ana"})
    assert server.store.count("res.partner") == 0


def test_a_down_odoo_is_transient(served):
    server, client = served
    server.store.faults.down = True

    with pytest.raises(TransientClientError):
        client.search_read("res.partner", [], ["name"])


def test_a_serialization_failure_odoo_gave_up_on_is_transient(served):
    server, client = served
    client.version()
    server.store.faults.serialization_failures = 5

    with pytest.raises(TransientClientError):
        client.search_read("res.partner", [], ["name"])


def test_wrong_credentials_are_permanent(served):
    _server, client = served
    config = client.config
    wrong = transport_for(OdooConfig(config.url, config.database, config.username, "wrong-key", config.protocol, 5))

    with pytest.raises(PermanentClientError) as raised:
        wrong.search_read("res.partner", [], ["name"])
    assert "wrong-key" not in raised.value.message


def test_a_dropped_connection_after_create_is_transient_and_never_resent(served):
    # The stdlib's XML-RPC transport sends a request again when a kept-alive connection drops: for a
    # create that ran, that second send would make a duplicate. Each request goes out once.
    server, client = served
    client.search_read("res.partner", [], ["name"])  # a kept-alive connection exists
    server.store.faults.crash_after["res.partner.create"] = 1

    with pytest.raises(TransientClientError):
        client.create("res.partner", {"name": "Ana"})
    assert server.store.count("res.partner") == 1
    assert server.store.calls["res.partner.create"] == 1


def test_a_slow_odoo_times_out_as_transient(fake_odoo):
    fake_odoo.store.faults.slow = 1.0
    client = transport_for(OdooConfig(fake_odoo.url, "odoo", "admin", fake_odoo.store.secret, "xmlrpc", 0.2))

    with pytest.raises(TransientClientError):
        client.version()


def test_xmlrpc_none_result_is_a_success_read_back_after(fake_odoo):
    # Seen against Odoo 17: the method ran, only the None answer could not be marshalled.
    store = fake_odoo.store
    client = transport_for(OdooConfig(fake_odoo.url, "odoo", "admin", store.secret, "xmlrpc", 5))
    partner = client.create("res.partner", {"name": "Ana"})
    store.faults.none_result.add("res.partner.write")

    assert client.write("res.partner", [partner], {"name": "Ana B"}) is None
    assert client.read("res.partner", [partner], ["name"])[0]["name"] == "Ana B"


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc", "json2"])
def test_reads_must_name_their_fields(fake_odoo, protocol):
    client = transport_for(OdooConfig(fake_odoo.url, "odoo", "admin", fake_odoo.store.secret, protocol, 5))

    with pytest.raises(ValueError, match="name their fields"):
        client.read("account.move", [1], [])


def test_json2_against_an_odoo_without_it_says_the_api_is_not_there(fake_odoo):
    client = transport_for(OdooConfig(fake_odoo.url, "odoo", "admin", fake_odoo.store.secret, "json2", 5))

    with pytest.raises(PermanentClientError, match="404"):
        client.version()


def test_nothing_listens_is_transient():
    with FakeOdooServer(FakeOdoo()) as server:
        url = server.url
    client = transport_for(OdooConfig(url, "odoo", "admin", "key", "xmlrpc", 2))

    with pytest.raises(TransientClientError):
        client.version()


@pytest.mark.parametrize("url", ["ftp://odoo.example.com", "odoo.example.com", "", "http://"])
def test_a_url_that_is_not_http_is_refused(url):
    with pytest.raises(PermanentClientError):
        transport_for(OdooConfig(url, "odoo", "admin", "key", "xmlrpc", 2))


def test_missing_credentials_are_reported_as_not_configured(acme):
    with pytest.raises(OdooNotConfigured):
        get_odoo_client(acme)


def test_a_worker_remembers_the_version_and_user_between_pushes(fake_odoo):
    config = OdooConfig(fake_odoo.url, "odoo", "admin", fake_odoo.store.secret, "xmlrpc", 5)
    first = transport_for(config)
    first.version()
    first.search_read("res.partner", [], ["name"])

    second = transport_for(config)
    second.version()
    second.search_read("res.partner", [], ["name"])

    assert (first.calls, second.calls) == (3, 1)


def test_a_remembered_user_that_odoo_refuses_is_forgotten(fake_odoo):
    config = OdooConfig(fake_odoo.url, "odoo", "admin", fake_odoo.store.secret, "xmlrpc", 5)
    transport_for(config).search_read("res.partner", [], ["name"])
    fake_odoo.store.uid = 7  # the user was replaced in Odoo

    with pytest.raises(PermanentClientError):
        transport_for(config).search_read("res.partner", [], ["name"])
    again = transport_for(config).search_read("res.partner", [], ["name"])

    assert again == []
