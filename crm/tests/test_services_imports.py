from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.csvfiles import escape_cell, map_headers, parse_amount, read_sheet, unescape_cell
from crm.models import ImportJob, Lead, TimelineEntry
from crm.selectors.imports import import_preview
from crm.services.imports import import_job_confirm, import_job_create, import_job_discard, import_job_run
from crm.tasks import import_leads_task
from crm.tests.factories import LeadFactory, stage
from crm.tests.helpers import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

SAMPLE = csv_bytes(
    "Teléfono;Nombre;Apellidos;Email;Empresa;Valor;Etiquetas",
    "612 34 56 78;José;Núñez;jose@example.com;Bodegas;1.234,50;vip, feria",
    "12;Bad;Phone;bad@example.com;;;",
    "+34 699 000 111;Dup;Existing;dup@example.com;;;",
    "0034612345678;Again;InFile;again@example.com;;;",
    "655 11 22 33;Ana;Pérez;not-an-email;;;",
    "655 44 55 66;Luis;Gómez;;;abc;",
    bom=True,
)


def test_headers_are_recognised_in_three_languages():
    headers = ["Téléphone", "Prénom", "Nom", "E-mail", "Société", "Whatever", "phone"]

    assert map_headers(headers) == ["phone", "first_name", "last_name", "email", "company", None, None]


def test_a_semicolon_file_with_a_bom_is_read():
    sheet = read_sheet(SAMPLE)

    assert sheet.delimiter == ";"
    assert sheet.headers[0] == "Teléfono"
    assert len(sheet.rows) == 6
    assert next(sheet.records()) == (
        2,
        {
            "phone": "612 34 56 78",
            "first_name": "José",
            "last_name": "Núñez",
            "email": "jose@example.com",
            "company": "Bodegas",
            "expected_value": "1.234,50",
            "tags": "vip, feria",
        },
    )


def test_a_comma_file_in_windows_encoding_is_read():
    data = "phone,first_name\n612345678,Begoña\n".encode("cp1252")

    sheet = read_sheet(data)

    assert sheet.delimiter == ","
    assert sheet.rows == [["612345678", "Begoña"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (csv_bytes("phone,name"), "The file has a header but no rows."),
        (b"\x00\x01PK\x03\x04", "This file is not a CSV text file."),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(english, data, message):
    with pytest.raises(ApplicationError) as error:
        read_sheet(data)

    assert error.value.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1500", "1500"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.500,50", "1500.50"),  # Spanish
        ("1,500.50", "1500.50"),  # English
        ("1 500,50 €", "1500.50"),  # French
        ("1 500 €", "1500"),
        ("2.500", "2500"),
        ("0,5", "0.5"),
    ],
)
def test_amounts_are_read_in_european_and_english_formats(text, amount):
    assert parse_amount(text) == Decimal(amount)


def test_formulas_are_neutralised_in_exports_but_phones_kept():
    assert escape_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert escape_cell("+34612345678") == "+34612345678"
    assert escape_cell("-5+cmd") == "'-5+cmd"
    assert unescape_cell("'=1+1") == "=1+1"


def test_upload_stores_the_file_and_waits_for_confirmation(tenant, owner):
    job = import_job_create(name="leads.csv", data=SAMPLE, actor=owner.user)

    assert job.status == ImportJob.Status.PREVIEW
    assert job.total_rows == 6
    assert job.created_by == owner.user
    assert job.file.read() == SAMPLE
    assert Lead.objects.count() == 0


def test_a_file_whose_phone_column_is_not_recognised_waits_for_the_mapping_step(tenant, owner, english):
    job = import_job_create(name="leads.csv", data=csv_bytes("Cel.,name", "612000001,Ana"), actor=owner.user)

    assert job.mapping == [None, "full_name"]
    assert import_preview(job=job).has_phone is False
    with pytest.raises(ApplicationError) as error:
        import_job_confirm(job=job, actor=owner.user)
    assert error.value.message == "Choose the column that holds the phone: every lead needs one."
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW


def test_a_nul_byte_anywhere_refuses_the_upload(tenant, owner, english, settings):
    # PostgreSQL stores no NUL in text: past the sniffed start, one made the worker fail half-way through.
    filler = "".join(f"+3461100{n:04d},Filler {n}\n" for n in range(300))
    data = f"phone,name\n{filler}+34622000001,Bad\x00Name\n".encode()
    assert data.index(b"\x00") > 4096

    with pytest.raises(ApplicationError) as error:
        import_job_create(name="leads.csv", data=data, actor=owner.user)

    assert error.value.message == "This file is not a CSV text file."
    assert ImportJob.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.csv"))


def test_upload_of_another_extension_is_refused(tenant, owner):
    with pytest.raises(ApplicationError):
        import_job_create(name="leads.xlsx", data=SAMPLE, actor=owner.user)

    assert ImportJob.objects.count() == 0


def _job(owner, data=SAMPLE, status=ImportJob.Status.PREVIEW) -> ImportJob:
    job = import_job_create(name="leads.csv", data=data, actor=owner.user)
    job.status = status
    job.save()
    return job


def test_preview_shows_mapping_and_what_happens_to_each_row(tenant, owner):
    existing = LeadFactory(phone="+34699000111", first_name="Marta", last_name="Ruiz")
    job = _job(owner)

    with translation.override("en"):
        preview = import_preview(job=job)

        assert [column.label for column in preview.columns] == [
            "Phone", "First name", "Last name", "Email", "Company", "Expected value", "Tags",
        ]  # fmt: skip
        assert [column.sample for column in preview.columns][:3] == ["612 34 56 78", "José", "Núñez"]
    assert preview.total_rows == 6
    outcome = {
        row.check.number: (row.ok, row.check.errors, row.check.warnings, row.duplicate_of, row.duplicate_row)
        for row in preview.rows
    }
    assert outcome[2] == (True, [], [], None, None)
    assert outcome[3] == (False, ["“12” is not a valid phone number."], [], None, None)
    assert outcome[4] == (False, [], [], existing, None)
    assert outcome[5] == (False, [], [], None, 2)
    assert outcome[6] == (True, [], ["“not-an-email” is not a valid email address: left empty."], None, None)
    assert outcome[7] == (True, [], ["“abc” is not an amount: the value was left at 0."], None, None)
    assert (preview.importable, preview.with_warnings, preview.duplicates, preview.invalid) == (3, 2, 2, 1)


def test_confirm_queues_the_job_and_enqueues_the_task_once_after_commit(
    tenant,
    owner,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    sent = []
    monkeypatch.setattr(import_leads_task, "delay", lambda job_id: sent.append(job_id))
    job = _job(owner)

    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, actor=owner.user)
        assert sent == []

    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert sent == [job.pk]
    assert AuditEntry.objects.get(action="lead.import").changes == {"rows": {"before": None, "after": 6}}


def test_confirming_twice_is_refused_and_enqueues_nothing_more(
    tenant,
    owner,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    sent = []
    monkeypatch.setattr(import_leads_task, "delay", lambda job_id: sent.append(job_id))
    job = _job(owner, status=ImportJob.Status.QUEUED)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        import_job_confirm(job=job, actor=owner.user)

    assert sent == []


def test_the_task_imports_good_rows_and_reports_bad_ones_and_duplicates(tenant, owner):
    owner.user.language = "en"
    owner.user.save()
    LeadFactory(phone="+34699000111")
    job = _job(owner, status=ImportJob.Status.QUEUED)

    result = import_leads_task.apply(args=[job.pk])

    assert result.successful()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.created_count, job.duplicate_count, job.error_count) == (6, 3, 2, 1)
    assert job.warning_count == 2
    assert job.finished_at is not None
    assert [(e["row"], e["kind"]) for e in job.errors] == [
        (3, "error"), (4, "duplicate"), (5, "duplicate"), (6, "warning"), (7, "warning"),
    ]  # fmt: skip
    assert [e["messages"] for e in job.errors] == [
        ["“12” is not a valid phone number."],
        ["This phone is already a lead."],
        ["Same phone as row 2."],
        ["“not-an-email” is not a valid email address: left empty."],
        ["“abc” is not an amount: the value was left at 0."],
    ]
    assert job.errors[0]["phone"] == "12"
    lead = Lead.objects.get(phone="+34612345678")
    assert (lead.first_name, lead.last_name, lead.email, lead.company) == (
        "José",
        "Núñez",
        "jose@example.com",
        "Bodegas",
    )
    assert lead.expected_value == Decimal("1234.50")
    assert lead.source == Lead.Source.IMPORT
    assert sorted(lead.tags.values_list("name", flat=True)) == ["feria", "vip"]
    assert list(lead.timeline.values_list("kind", flat=True)) == [TimelineEntry.Kind.CREATED]
    assert Lead.objects.get(phone="+34655112233").email == ""
    assert Lead.objects.get(phone="+34655445566").expected_value == 0
    assert Lead.objects.count() == 4


def test_imported_amounts_keep_their_cents_on_the_lead_page(tenant, owner, client_for):
    data = csv_bytes("phone;value", "612000101;1.500,50", '612000102;"1,500.50"', "612000103;0,05")
    job = import_job_create(name="amounts.csv", data=data, actor=owner.user)
    job.status = ImportJob.Status.QUEUED
    job.save()

    import_job_run(job_id=job.pk)

    values = dict(Lead.objects.values_list("phone", "expected_value"))
    assert values == {
        "+34612000101": Decimal("1500.50"),
        "+34612000102": Decimal("1500.50"),
        "+34612000103": Decimal("0.05"),
    }
    page = client_for(owner).get(f"/leads/{Lead.objects.get(phone='+34612000101').pk}/").content.decode()
    assert "1.500,50\xa0€" in page  # the company's language (es) and country (ES)


def test_running_a_finished_job_again_changes_nothing(tenant, owner):
    job = _job(owner, status=ImportJob.Status.QUEUED)
    import_job_run(job_id=job.pk)

    again = import_job_run(job_id=job.pk)

    assert again.status == ImportJob.Status.DONE
    assert (again.processed_rows, again.created_count, again.duplicate_count, again.error_count) == (6, 4, 1, 1)
    assert Lead.objects.count() == 4


def test_a_job_waiting_for_confirmation_is_not_run(tenant, owner):
    job = _job(owner)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert Lead.objects.count() == 0


def test_a_retry_after_a_crash_resumes_after_the_last_committed_batch(tenant, owner, monkeypatch):
    import crm.services.imports as imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    real_batch, calls = imports._import_batch, []

    def crash_on_second_batch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("worker lost")
        return real_batch(*args)

    monkeypatch.setattr(imports, "_import_batch", crash_on_second_batch)
    job = _job(owner, status=ImportJob.Status.QUEUED)
    with pytest.raises(ConnectionError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportJob.Status.RUNNING, 2, 1)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.created_count, job.duplicate_count, job.error_count) == (6, 4, 1, 1)
    assert sorted(Lead.objects.values_list("phone", flat=True)) == [
        "+34612345678", "+34655112233", "+34655445566", "+34699000111",
    ]  # fmt: skip


def test_importing_the_same_file_twice_counts_duplicates_not_errors(tenant, owner):
    import_job_run(job_id=_job(owner, status=ImportJob.Status.QUEUED).pk)

    second = import_job_run(job_id=_job(owner, status=ImportJob.Status.QUEUED).pk)

    assert (second.created_count, second.duplicate_count, second.error_count) == (0, 5, 1)
    assert Lead.objects.count() == 4


def test_a_sellers_import_gives_them_the_leads(tenant, seller):
    job = _job(seller, data=csv_bytes("phone", "612000001", "612000002"), status=ImportJob.Status.QUEUED)

    import_job_run(job_id=job.pk)

    assert list(Lead.objects.values_list("seller_id", flat=True)) == [seller.user_id, seller.user_id]


def test_an_owners_import_follows_round_robin(tenant, owner, make_member):
    first, second = sorted([make_member(tenant), make_member(tenant)], key=lambda m: m.user_id)
    tenant.lead_assignment = "round_robin"
    job = _job(owner, data=csv_bytes("phone", "612000001", "612000002", "612000003"), status=ImportJob.Status.QUEUED)

    import_job_run(job_id=job.pk)

    sellers = list(Lead.objects.order_by("phone").values_list("seller_id", flat=True))
    assert sellers == [first.user_id, second.user_id, first.user_id]


def test_stage_score_language_and_full_name_columns_are_read(tenant, owner):
    data = csv_bytes("phone,name,stage,score,language", "612000001,Ana María López,Negotiation,caliente,Français")
    job = _job(owner, data=data, status=ImportJob.Status.QUEUED)

    import_job_run(job_id=job.pk)

    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Ana", "María López")
    assert (lead.stage, lead.score, lead.language) == (stage("negotiation"), "hot", "fr")


def test_the_error_list_is_capped_but_every_error_is_counted(tenant, owner, monkeypatch):
    import crm.services.imports as imports

    monkeypatch.setattr(imports, "MAX_ERRORS", 2)
    job = _job(owner, data=csv_bytes("phone", "1", "2", "3"), status=ImportJob.Status.QUEUED)

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.error_count, len(job.errors)) == (3, 2)


def test_a_job_whose_file_is_gone_fails_with_the_reason(tenant, owner):
    job = _job(owner, status=ImportJob.Status.QUEUED)
    job.file.storage.delete(job.file.name)

    with translation.override("en"):
        import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.failure_reason == "The uploaded file could not be read. Upload it again."
    assert Lead.objects.count() == 0


def test_discard_deletes_the_job_and_its_file(tenant, owner, django_capture_on_commit_callbacks):
    job = _job(owner)
    name = job.file.name

    with django_capture_on_commit_callbacks(execute=True):
        import_job_discard(job=job, actor=owner.user)

    assert ImportJob.objects.count() == 0
    assert not ImportJob.file.field.storage.exists(name)


def test_a_started_job_cannot_be_discarded(tenant, owner):
    job = _job(owner, status=ImportJob.Status.RUNNING)

    with pytest.raises(ApplicationError):
        import_job_discard(job=job, actor=owner.user)

    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_a_job_whose_database_errors_outlast_the_retries_is_marked_failed(tenant, owner, monkeypatch):
    from django.db import OperationalError

    job = _job(owner, status=ImportJob.Status.RUNNING)

    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("crm.services.imports.import_job_run", unreachable)
    import_leads_task.push_request(retries=import_leads_task.max_retries)
    try:
        with pytest.raises(OperationalError):
            import_leads_task.run(job.pk)
    finally:
        import_leads_task.pop_request()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.failure_reason
    assert Lead.objects.count() == 0


def test_a_database_error_with_retries_left_leaves_the_job_running(tenant, owner, monkeypatch):
    from django.db import OperationalError

    job = _job(owner, status=ImportJob.Status.RUNNING)

    def unreachable(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("crm.services.imports.import_job_run", unreachable)
    import_leads_task.push_request(retries=0)
    try:
        with pytest.raises(OperationalError):
            import_leads_task.run(job.pk)
    finally:
        import_leads_task.pop_request()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
