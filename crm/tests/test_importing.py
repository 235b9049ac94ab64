"""Imports that round-trip: every name the product gives a column is read back in English, Spanish and
French; a file the product exported comes back unchanged; fixable problems import with a warning; the
rejected rows download as a CSV to fix; the mapping step and its memory; who gets rows without a seller."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from core.errors import ApplicationError
from crm.importing.columns import FIELDS, alias_table, auto_mapping, header_key, headers_key
from crm.importing.rejected import rejected_csv
from crm.models import ImportJob, ImportMapping, Lead
from crm.services.exports import leads_export
from crm.services.imports import import_job_confirm, import_job_create, import_job_run, import_job_set_mapping
from crm.services.leads import lead_create
from crm.tests.factories import LeadFactory, stage
from crm.tests.helpers import csv_bytes
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
LANGUAGES = ("en", "es", "fr")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _run(owner, data: bytes, *, mapping=None, **assignment) -> ImportJob:
    job = import_job_create(name="leads.csv", data=data, actor=owner.user)
    if mapping is not None or assignment:
        import_job_set_mapping(job=job, mapping=mapping or job.mapping, actor=owner.user, **assignment)
    import_job_confirm(job=job, actor=owner.user)
    return import_job_run(job_id=job.pk)


# --- every advertised label, in three languages ------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_the_product_shows_is_read_back_as_its_field(language):
    with translation.override(language):
        labels = {field: str(label) for field, label in FIELDS.items()}

    assert auto_mapping(list(labels.values())) == list(labels)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_fields_share_a_label(language):
    with translation.override(language):
        keys = [header_key(str(label)) for label in FIELDS.values()]

    assert len(set(keys)) == len(keys)


def test_the_columns_the_walk_found_ignored_are_read():
    headers = ["Resumen", "Motivo de la puntuación", "Valeur estimée", "Vendedor", "Origen", "Campagne"]

    assert auto_mapping(headers) == ["notes", "score_reason", "expected_value", "seller", "source", "meta_campaign_id"]


def test_field_codes_are_read_too():
    assert all(alias_table()[code] == code for code in FIELDS)


# --- a file the product exported comes back unchanged ----------------------------------------------------

COMPARED = [
    "first_name", "last_name", "email", "company", "stage_id", "seller_id", "source", "expected_value", "score",
    "score_reason", "language", "notes", "next_action", "lost_reason", "meta_campaign_id", "meta_adset_id",
    "meta_ad_id", "ad_headline", "ad_body", "click_id", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content",
]  # fmt: skip
DATES = ["next_action_at", "last_contact_at", "created_at", "closed_at"]


def _snapshot(lead: Lead) -> dict:
    values = {name: getattr(lead, name) for name in COMPARED}
    values.update({name: getattr(lead, name) and getattr(lead, name).replace(microsecond=0) for name in DATES})
    values["tags"] = sorted(lead.tags.values_list("name", flat=True))
    return values


def _rich_leads(owner, seller) -> dict[str, dict]:
    madrid = ZoneInfo("Europe/Madrid")
    won = lead_create(
        actor=owner.user, phone="+34612000001", stage=stage("won"), seller_id=seller.user_id,
        tags=["vip", "feria 2026"], first_name="José", last_name="Núñez", email="jose@example.com",
        company="Bodegas; Núñez, S.L.", source=Lead.Source.META_ADS, expected_value=Decimal("20750.50"),
        score="hot", score_reason="Pidió presupuesto", language="es", notes="Primera línea\nSegunda línea",
        next_action="Llamar", next_action_at=datetime(2030, 5, 4, 10, 30, tzinfo=madrid),
        meta_campaign_id="120200001", meta_adset_id="120200002", meta_ad_id="120200003",
        ad_headline="Oferta", ad_body="=Texto del anuncio", click_id="fbclid.123",
        utm_source="facebook", utm_medium="paid", utm_campaign="spring", utm_term="vino", utm_content="a",
    )  # fmt: skip
    lost = lead_create(
        actor=owner.user, phone="+33612345678", stage=stage("negotiation"), first_name="Amélie",
        last_name="Poulain", source=Lead.Source.REFERRAL, expected_value=Decimal("99"), score="cold",
        language="fr",
    )  # fmt: skip
    from crm.services.leads import lead_move

    lead_move(lead=lost, stage=stage("lost"), actor=owner.user, lost_reason="Precio")
    Lead.objects.filter(pk=won.pk).update(
        created_at=datetime(2026, 1, 2, 9, 15, 7, tzinfo=madrid),
        last_contact_at=datetime(2026, 1, 3, 18, 0, tzinfo=madrid),
        closed_at=datetime(2026, 1, 20, 12, 0, tzinfo=madrid),
    )
    plain = lead_create(actor=owner.user, phone="+34699000111", auto_assign=False)
    return {lead.phone: _snapshot(lead) for lead in Lead.objects.filter(pk__in=[won.pk, lost.pk, plain.pk])}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_file_exported_by_the_product_is_imported_back_unchanged(language, tenant, owner, seller):
    tenant.timezone = "Europe/Madrid"
    before = _rich_leads(owner, seller)
    with translation.override(language), timezone.override(ZoneInfo("Europe/Madrid")):
        data = "".join(leads_export(leads=Lead.objects.order_by("pk"), actor=owner.user)).encode("utf-8")
    Lead.objects.all().delete()

    with translation.override(language):
        job = _run(owner, data)

    assert (job.created_count, job.warning_count, job.error_count) == (3, 0, 0), job.errors
    assert {lead.phone: _snapshot(lead) for lead in Lead.objects.all()} == before


@pytest.mark.parametrize(("language", "delimiter", "amount"), [("es", ";", "20750,50"), ("fr", ";", "20750,50")])
def test_spanish_and_french_exports_open_in_their_excel(language, delimiter, amount, tenant, owner):
    LeadFactory(phone="+34612000001", expected_value=Decimal("20750.50"))

    with translation.override(language):
        text = "".join(leads_export(leads=Lead.objects.all(), actor=owner.user))

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))
    assert rows[0][0] == {"es": "Teléfono", "fr": "Téléphone"}[language]
    assert dict(zip(rows[0], rows[1], strict=True))[rows[0][list(FIELDS).index("expected_value") - 1]] == amount


def test_the_reader_may_choose_the_delimiter(english, tenant, owner, client_for):
    LeadFactory(phone="+34612000001")

    body = b"".join(client_for(owner).get("/leads/export.csv", {"sep": "semicolon"}).streaming_content)

    assert body.decode("utf-8-sig").splitlines()[0].startswith("Phone;First name;")


# --- fixable problems: imported with a warning ----------------------------------------------------------


def test_a_mistyped_email_and_a_stage_written_in_spanish_still_import(english, tenant, owner):
    data = csv_bytes("Teléfono;Nombre;Email;Etapa", "612000001;Ana;ana@example,com;Ganado", "612000002;Luis;;Perdido")

    job = _run(owner, data)

    assert (job.created_count, job.warning_count, job.error_count) == (2, 1, 0)
    ana = Lead.objects.get(phone="+34612000001")
    assert (ana.first_name, ana.email, ana.stage) == ("Ana", "", stage("won"))
    assert ana.closed_at is not None
    assert Lead.objects.get(phone="+34612000002").stage == stage("lost")
    assert job.errors == [
        {
            "row": 2,
            "phone": "612000001",
            "kind": "warning",
            "messages": ["“ana@example,com” is not a valid email address: left empty."],
        }
    ]


def test_unknown_values_are_left_empty_with_a_warning_each(english, tenant, owner):
    data = csv_bytes(
        "phone,stage,score,language,source,expected value,created",
        "612000001,Somewhere,tepid,Klingon,Carrier pigeon,lots,31/02/2026",
    )

    job = _run(owner, data)

    lead = Lead.objects.get()
    assert (lead.stage, lead.score, lead.language, lead.source, lead.expected_value) == (
        stage("new"), "", "", Lead.Source.IMPORT, 0,
    )  # fmt: skip
    assert job.errors[0]["messages"] == [
        "“lots” is not an amount: the value was left at 0.",
        "“tepid” is not a score (hot, warm or cold): left empty.",
        "“Klingon” is not a known language: left empty.",
        "“Carrier pigeon” is not a known source: recorded as Import.",
        "There is no stage called “Somewhere”: the lead starts in the first stage.",
        "“31/02/2026” is not a date (Created): left empty.",
    ]


def test_a_text_longer_than_its_field_is_cut_with_a_warning(english, tenant, owner):
    job = _run(owner, csv_bytes("phone,company", f"612000001,{'x' * 130}"))

    assert Lead.objects.get().company == "x" * 120
    assert job.errors[0]["messages"] == ["Company was cut to 120 characters."]


def test_a_value_above_the_companys_limit_is_imported_with_a_warning(english, tenant, owner):
    tenant.lead_value_confirm_above = Decimal("100000")

    job = _run(owner, csv_bytes("phone;value", "612000001;2.500.000,00"))

    assert Lead.objects.get().expected_value == Decimal("2500000.00")
    assert job.errors[0]["kind"] == "warning"
    assert "above 100,000" in job.errors[0]["messages"][0]


# --- sellers and the assignment rule ---------------------------------------------------------------------


def test_the_seller_column_names_a_person_by_email_or_by_name(tenant, owner, make_member):
    sam = make_member(tenant, Role.SELLER, full_name="Sam Seller", email="sam@acme.example")
    sara = make_member(tenant, Role.SELLER, full_name="Sara Núñez")

    _run(owner, csv_bytes("phone,seller", "612000001,SAM@acme.example", "612000002,sara nunez"))

    assert Lead.objects.get(phone="+34612000001").seller_id == sam.user_id
    assert Lead.objects.get(phone="+34612000002").seller_id == sara.user_id


def test_an_unknown_or_disabled_seller_falls_back_to_the_rule_with_a_warning(english, tenant, owner, make_member):
    gone = make_member(tenant, Role.SELLER, status="disabled", email="gone@acme.example")
    keeper = make_member(tenant, Role.SELLER)

    job = _run(
        owner,
        csv_bytes("phone,seller", "612000001,gone@acme.example", "612000002,Nobody"),
        assignment=ImportJob.Assignment.SELLER,
        assign_to_id=keeper.user_id,
    )

    assert set(Lead.objects.values_list("seller_id", flat=True)) == {keeper.user_id}
    assert gone.user_id not in Lead.objects.values_list("seller_id", flat=True)
    assert job.warning_count == 2


@pytest.mark.parametrize(
    ("assignment", "company_rule", "expected"),
    [
        (ImportJob.Assignment.UNASSIGNED, "round_robin", "none"),
        (ImportJob.Assignment.RULE, "manual", "none"),
        (ImportJob.Assignment.RULE, "round_robin", "alternating"),
        (ImportJob.Assignment.ROUND_ROBIN, "manual", "alternating"),
    ],
)
def test_rows_without_a_seller_follow_the_rule_chosen_on_the_mapping_step(
    tenant, owner, make_member, assignment, company_rule, expected
):
    first, second = sorted([make_member(tenant), make_member(tenant)], key=lambda m: m.user_id)
    tenant.lead_assignment = company_rule

    _run(owner, csv_bytes("phone", "612000001", "612000002", "612000003"), assignment=assignment)

    sellers = list(Lead.objects.order_by("phone").values_list("seller_id", flat=True))
    wanted = {"none": [None] * 3, "alternating": [first.user_id, second.user_id, first.user_id]}[expected]
    assert sellers == wanted


def test_a_seller_cannot_be_given_as_the_assignee_unless_active(tenant, owner, make_member):
    marketing = make_member(tenant, Role.MARKETING)
    job = import_job_create(name="leads.csv", data=csv_bytes("phone", "612000001"), actor=owner.user)

    with pytest.raises(ApplicationError):
        import_job_set_mapping(
            job=job, mapping=job.mapping, actor=owner.user, assignment="seller", assign_to_id=marketing.user_id
        )

    job.refresh_from_db()
    assert (job.assignment, job.assign_to_id) == (ImportJob.Assignment.RULE, None)


def test_a_sellers_import_is_theirs_whatever_the_seller_column_says(tenant, seller, make_member):
    other = make_member(tenant, Role.SELLER, email="other@acme.example")

    _run(seller, csv_bytes("phone,seller", "612000001,other@acme.example"))

    assert Lead.objects.get().seller_id == seller.user_id
    assert other.user_id != seller.user_id


# --- the mapping step -------------------------------------------------------------------------------------


def test_the_mapping_step_maps_an_unrecognised_column_and_is_remembered_for_the_same_headers(english, tenant, owner):
    data = csv_bytes("Cel.,Quién,Notas internas", "612000001,Ana,hola")
    job = import_job_create(name="a.csv", data=data, actor=owner.user)
    assert job.mapping == [None, None, None]

    import_job_set_mapping(job=job, mapping=["phone", "first_name", None], actor=owner.user)
    import_job_confirm(job=job, actor=owner.user)
    import_job_run(job_id=job.pk)
    same_headers = csv_bytes("cel ,quien,NOTAS INTERNAS", "612000002,Luis,x")
    again = import_job_create(name="b.csv", data=same_headers, actor=owner.user)
    other = import_job_create(name="c.csv", data=csv_bytes("Cel.,Quién", "612000003,Eva"), actor=owner.user)

    assert Lead.objects.get().first_name == "Ana"
    assert again.mapping == ["phone", "first_name", None]
    assert other.mapping == [None, None]
    # One mapping remembered for these headers (browser tests may have committed others for theirs).
    assert ImportMapping.objects.filter(headers_key=headers_key(["Cel.", "Quién", "Notas internas"])).count() == 1
    assert not ImportMapping.objects.filter(headers_key=headers_key(["Cel.", "Quién"])).exists()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (["phone", "phone"], "Only one column can fill Phone."),
        (["first_name", "last_name"], "Choose the column that holds the phone: every lead needs one."),
        (["phone", "password"], "Choose a field (or “Ignore”) for every column."),
        (["phone"], "Choose a field (or “Ignore”) for every column."),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_and_changes_nothing(english, tenant, owner, mapping, message):
    job = import_job_create(name="a.csv", data=csv_bytes("phone,name", "612000001,Ana"), actor=owner.user)

    with pytest.raises(ApplicationError) as error:
        import_job_set_mapping(job=job, mapping=mapping, actor=owner.user)

    assert error.value.message == message
    job.refresh_from_db()
    assert job.mapping == ["phone", "full_name"]


def test_the_mapping_of_a_started_import_cannot_change(tenant, owner):
    job = import_job_create(name="a.csv", data=csv_bytes("phone,name", "612000001,Ana"), actor=owner.user)
    import_job_confirm(job=job, actor=owner.user)

    with pytest.raises(ApplicationError):
        import_job_set_mapping(job=job, mapping=["phone", None], actor=owner.user)


def test_the_mapping_page_answers_htmx_with_the_preview_read_with_the_new_mapping(english, tenant, owner, client_for):
    client = client_for(owner)
    job = import_job_create(name="a.csv", data=csv_bytes("Cel.,Quién", "612000001,Ana"), actor=owner.user)

    response = client.post(
        f"/leads/import/{job.pk}/mapping/",
        {"column_0": "phone", "column_1": "first_name", "assignment": "unassigned", "assign_to": ""},
        **HTMX,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="import-preview">')
    assert "1 will be imported" in body
    job.refresh_from_db()
    assert (job.mapping, job.assignment) == (["phone", "first_name"], "unassigned")


def test_the_mapping_page_shows_why_a_mapping_is_refused(english, tenant, owner, client_for):
    job = import_job_create(name="a.csv", data=csv_bytes("phone,name", "612000001,Ana"), actor=owner.user)

    response = client_for(owner).post(
        f"/leads/import/{job.pk}/mapping/", {"column_0": "phone", "column_1": "phone", "assignment": "rule"}, **HTMX
    )

    assert response.status_code == 422
    assert "Only one column can fill Phone." in response.content.decode()
    job.refresh_from_db()
    assert job.mapping == ["phone", "full_name"]


def test_a_seller_is_not_offered_the_assignment_rule(tenant, seller, client_for):
    job = import_job_create(name="a.csv", data=csv_bytes("phone", "612000001"), actor=seller.user)

    response = client_for(seller).get(f"/leads/import/{job.pk}/")

    assert "assignment" not in response.context["mapping_form"].fields
    assert b'name="assignment"' not in response.content


def test_another_tenants_owner_cannot_change_a_mapping(tenant, owner, globex_owner, client_for):
    job = import_job_create(name="a.csv", data=csv_bytes("phone,name", "612000001,Ana"), actor=owner.user)

    response = client_for(globex_owner.user, tenant).post(
        f"/leads/import/{job.pk}/mapping/", {"column_0": "phone", "column_1": "", "assignment": "rule"}
    )

    assert response.status_code == 403
    job.refresh_from_db()
    assert job.mapping == ["phone", "full_name"]


# --- rejected rows, downloadable ----------------------------------------------------------------------


def test_the_rejected_rows_download_in_the_files_own_shape_and_import_once_fixed(english, tenant, owner, client_for):
    data = csv_bytes("Tel;Nombre;Empresa", "612000001;Ana;A", "12;Bad;B", ";Missing;C", "612000001;Dup;D")
    job = _run(owner, data)
    assert (job.created_count, job.error_count, job.duplicate_count) == (1, 2, 1)

    response = client_for(owner).get(f"/leads/import/{job.pk}/rejected.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="leads-rejected.csv"'
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["Tel", "Nombre", "Empresa", "Why it was not imported"],
        ["12", "Bad", "B", "“12” is not a valid phone number."],
        ["", "Missing", "C", "The phone is missing."],
    ]
    fixed = text.replace("12;Bad", "612000012;Bad").replace(";Missing", "612000013;Missing").encode()
    again = _run(owner, fixed)
    assert (again.created_count, again.error_count) == (2, 0)
    assert Lead.objects.get(phone="+34612000013").company == "C"


def test_the_rejected_rows_of_another_sellers_import_are_not_downloadable(tenant, seller, make_member, client_for):
    job = _run(seller, csv_bytes("phone", "12"))
    other = make_member(tenant)

    assert client_for(other).get(f"/leads/import/{job.pk}/rejected.csv").status_code == 404


def test_a_finished_page_links_the_rejected_rows(english, tenant, owner, client_for):
    job = _run(owner, csv_bytes("phone", "12", "612000001"))

    body = client_for(owner).get(f"/leads/import/{job.pk}/").content.decode()

    assert f'href="/leads/import/{job.pk}/rejected.csv"' in body


def test_rejected_csv_repeats_the_workers_check(tenant, owner):
    job = _run(owner, csv_bytes("phone,name", "612000001,Ana", "x,Bad"))

    rows = list(csv.reader(io.StringIO("".join(rejected_csv(job=job)).lstrip("\ufeff"))))

    assert [row[:2] for row in rows[1:]] == [["x", "Bad"]]


def test_dates_are_read_in_the_companys_time_zone(tenant, owner):
    tenant.timezone = "America/Mexico_City"

    _run(owner, csv_bytes("phone,created", "612000001,2026-01-05 10:00"))

    assert Lead.objects.get().created_at == datetime(2026, 1, 5, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert timezone.now() > Lead.objects.get().created_at
