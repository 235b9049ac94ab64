from decimal import Decimal as D

import pytest
from django.db import connection

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import Product
from crm.services.products import product_create, product_import_apply, product_import_preview, product_update
from crm.tests.documents_factories import ProductFactory
from crm.tests.helpers import stored_files
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


# Services ---------------------------------------------------------------------------------------------------


def test_products_are_created_and_edited_with_an_audit(tenant, owner):
    product = product_create(actor=owner.user, name=" Desk ", sku="DSK-1", unit_price=D("199.9"), tax_rate=D(21))

    product_update(product=product, actor=owner.user, unit_price=D("189"), active=False)

    product.refresh_from_db()
    assert (product.name, product.sku, product.unit_price, product.active) == ("Desk", "DSK-1", D("189"), False)
    assert list(
        AuditEntry.objects.filter(action__startswith="product.").order_by("id").values_list("action", flat=True)
    ) == [
        "product.create",
        "product.update",
    ]


def test_internal_references_are_unique_whatever_the_case(tenant, owner):
    ProductFactory(sku="ABC-1", name="First")

    with pytest.raises(ApplicationError, match="Another product has this internal reference: First"):
        product_create(actor=owner.user, name="Second", sku="abc-1")
    other = product_create(actor=owner.user, name="No reference")
    product_create(actor=owner.user, name="No reference either")
    with pytest.raises(ApplicationError):
        product_update(product=other, actor=owner.user, sku="Abc-1")
    assert Product.objects.count() == 3


@pytest.mark.parametrize(
    "fields",
    [{"name": ""}, {"name": "x", "tax_rate": D(101)}, {"name": "x", "unit_price": D(-1)}, {"name": "x" * 201}],
)
def test_bad_products_are_refused(tenant, owner, fields):
    with pytest.raises(ApplicationError):
        product_create(actor=owner.user, **fields)
    assert not Product.objects.exists()


def test_the_csv_import_previews_then_creates_and_updates_by_reference(
    tenant, owner, media_root, django_capture_on_commit_callbacks
):
    ProductFactory(sku="CH-1", name="Old chair", unit_price=D(10))
    data = csv(
        "Nombre;Referencia;Precio;IVA;Unidad;Activo",
        "Silla ergonómica;ch-1;1.234,50;21;ud;sí",
        "Mesa;MS-2;300;21 %;ud;",
        ";NONAME;5;21;;",
        "Lámpara;LP-3;abc;21;;",
        "Mesa otra vez;ms-2;1;21;;",
        "Alfombra;;80,5;10;;no",
    )

    sheet = product_import_preview(name="catalogo.csv", data=data)

    assert (sheet.to_create, sheet.to_update, sheet.with_errors) == (2, 1, 3)
    assert [row.errors for row in sheet.rows if not row.ok] == [
        ["The name is missing."],
        ["“abc” is not a number."],
        ["Same internal reference as row 3."],
    ]
    assert Product.objects.count() == 1  # nothing changes before it is applied

    with django_capture_on_commit_callbacks(execute=True):
        created, updated, skipped = product_import_apply(token=sheet.token, actor=owner.user, name="catalogo.csv")

    assert (created, updated, skipped) == (2, 1, 3)
    products = {p.name: (p.sku, p.unit_price, p.tax_rate, p.unit, p.active) for p in Product.objects.all()}
    assert products == {
        "Silla ergonómica": ("CH-1", D("1234.5"), D(21), "ud", True),
        "Mesa": ("MS-2", D(300), D(21), "ud", True),
        "Alfombra": ("", D("80.5"), D(10), "", False),
    }
    assert AuditEntry.objects.filter(action="product.import").count() == 1
    with pytest.raises(ApplicationError, match="no longer available"):
        product_import_apply(token=sheet.token, actor=owner.user)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("list.txt", csv("name", "x"), "Upload a .csv file"),
        ("list.csv", b"", "The file is empty."),
        ("list.csv", csv("price;sku", "1;2"), "No name column found."),
        ("list.csv", csv("name"), "The file has a header but no rows."),
        ("list.csv", b"name\nA\x00B\n", "This file is not a CSV text file."),
    ],
)
def test_unreadable_files_are_refused_keeping_nothing(tenant, media_root, name, data, message):
    with pytest.raises(ApplicationError, match=message):
        product_import_preview(name=name, data=data)
    assert stored_files(media_root) == []


@pytest.mark.parametrize("token", ["", "../../etc/passwd", "A" * 32, "0" * 31, "g" * 32])
def test_apply_refuses_tokens_that_name_no_upload(tenant, owner, token):
    with pytest.raises(ApplicationError, match="no longer available"):
        product_import_apply(token=token, actor=owner.user)


# Pages ------------------------------------------------------------------------------------------------------


def test_the_list_searches_name_and_reference_and_hides_archived(tenant, seller, client_for):
    ProductFactory(name="Blue chair", sku="BC-1")
    ProductFactory(name="Red table", sku="RT-1")
    ProductFactory(name="Old chair", sku="OC-1", active=False)
    client = client_for(seller)

    assert "Blue chair" in client.get("/products/?q=chair").content.decode()
    assert "Red table" not in client.get("/products/?q=chair").content.decode()
    assert "Old chair" not in client.get("/products/?q=chair").content.decode()
    assert "Old chair" in client.get("/products/?q=chair&show=archived").content.decode()
    assert "Red table" in client.get("/products/?q=rt-").content.decode()
    assert client.get("/products/?q=%00&show=bogus&page=x").status_code == 200


def test_sellers_read_products_owners_and_accountants_edit_them(tenant, seller, owner, acme, make_member, client_for):
    accountant = make_member(acme, Role.ACCOUNTANT)
    product = ProductFactory(name="Chair")
    connection.set_schema_to_public()

    assert client_for(seller).get("/products/new/").status_code == 403
    assert client_for(seller).post(f"/products/{product.pk}/edit/", {"name": "Hacked"}).status_code == 403
    assert "Add a product" not in client_for(seller).get("/products/?q=nothing").content.decode()
    response = client_for(accountant).post(
        "/products/new/", {"name": "Lamp", "sku": "LMP", "unit_price": "19,90", "tax_rate": "21", "active": "on"}
    )
    assert response.status_code == 302
    response = client_for(owner).post(
        f"/products/{product.pk}/edit/", {"name": "Chair", "sku": "lmp", "unit_price": "1", "tax_rate": "0"}
    )
    assert response.status_code == 422
    assert "Another product has this internal reference: Lamp." in response.content.decode()
    connection.set_tenant(acme)
    assert sorted(Product.objects.values_list("name", "unit_price")) == [("Chair", D(100)), ("Lamp", D("19.9"))]


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "unit_price": "1", "tax_rate": "0"},
        {"name": "x\x00y", "unit_price": "1", "tax_rate": "0"},
        {"name": "x", "unit_price": "9" * 40, "tax_rate": "0"},
        {"name": "x", "unit_price": "1", "tax_rate": "250"},
        {"name": "x", "unit_price": "NaN", "tax_rate": "0"},
    ],
)
def test_bad_product_forms_answer_422_and_create_nothing(tenant, owner, client_for, data):
    connection.set_schema_to_public()

    response = client_for(owner).post("/products/new/", data)

    assert response.status_code == 422
    connection.set_tenant(owner.tenant)
    assert not Product.objects.exists()


def test_the_import_pages_preview_apply_and_discard(
    tenant, owner, client_for, media_root, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(owner)
    upload = SimpleUploadedFile("products.csv", csv("name,sku,price,tax", "Chair,CH,10,21", ",X,1,1"))

    preview = client.post("/products/import/", {"file": upload})
    body = preview.content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post("/products/import/apply/", {"token": token, "name": "products.csv"}, follow=True)

    assert "1 to create, 0 to update (same internal reference), 1 with errors (skipped)." in body
    assert "Import finished: 1 created, 0 updated, 1 skipped." in applied.content.decode()
    connection.set_tenant(owner.tenant)
    assert list(Product.objects.values_list("name", "sku")) == [("Chair", "CH")]

    second = client.post("/products/import/", {"file": SimpleUploadedFile("p.csv", csv("name", "Lamp"))})
    token = second.content.decode().split('name="token" value="')[1].split('"')[0]
    client.post("/products/import/discard/", {"token": token})
    assert stored_files(media_root) == []
    bad = client.post("/products/import/", {"file": SimpleUploadedFile("p.csv", b"\x00\x01")})
    assert bad.status_code == 422
