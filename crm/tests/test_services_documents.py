import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import LeadDocument, TimelineEntry
from crm.services.documents import MAX_DOCUMENT_SIZE, document_upload
from crm.tests.factories import LeadFactory
from crm.tests.helpers import JPEG, PDF, PNG, WEBP, office_file, stored_files

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("upload", "content_type"),
    [
        (lambda: SimpleUploadedFile("Quote 2026.PDF", PDF), "application/pdf"),
        (lambda: SimpleUploadedFile("plan.png", PNG), "image/png"),
        (lambda: SimpleUploadedFile("photo.jpg", JPEG), "image/jpeg"),
        (lambda: SimpleUploadedFile("photo.jpeg", JPEG), "image/jpeg"),
        (lambda: SimpleUploadedFile("shot.webp", WEBP), "image/webp"),
        (
            lambda: office_file("offer.docx", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            lambda: office_file("prices.xlsx", "xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (lambda: SimpleUploadedFile("list.csv", "name;city\nJosé;Málaga\n".encode()), "text/csv"),
        (lambda: SimpleUploadedFile("notes.txt", "Ça va\r\n".encode("cp1252")), "text/plain"),
    ],
)
def test_accepted_types_are_stored_under_the_lead_with_history(tenant, owner, media_root, upload, content_type):
    lead = LeadFactory()
    file = upload()

    document = document_upload(lead=lead, actor=owner.user, file=file)

    assert (document.original_name, document.content_type, document.size) == (file.name, content_type, file.size)
    assert document.file.name.startswith(f"leads/{lead.pk}/")
    assert stored_files(media_root) == [f"{tenant.schema_name}/{document.file.name}"]
    entry = TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.DOCUMENT)
    assert entry.data == {"document_id": document.pk, "name": file.name, "size": file.size}
    assert AuditEntry.objects.filter(action="lead.document", object_id=str(lead.pk)).count() == 1


@pytest.mark.parametrize(
    "upload",
    [
        lambda: SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
        lambda: SimpleUploadedFile("no-extension", PDF),
        lambda: SimpleUploadedFile("fake.pdf", PNG),
        lambda: SimpleUploadedFile("fake.png", b"just text"),
        lambda: SimpleUploadedFile("fake.jpg", PDF),
        lambda: SimpleUploadedFile("fake.webp", b"RIFF\x24\x00\x00\x00WAVEfmt "),
        lambda: SimpleUploadedFile("fake.docx", PDF),
        lambda: office_file("sheet-as.docx", "xl/workbook.xml"),
        lambda: SimpleUploadedFile("binary.csv", b"a,b\n\x00\x01\x02"),
        lambda: SimpleUploadedFile("binary.txt", PNG),
        lambda: SimpleUploadedFile("empty.pdf", b""),
        lambda: SimpleUploadedFile("huge.pdf", PDF + b"0" * MAX_DOCUMENT_SIZE),
    ],
)
def test_refused_files_leave_nothing_behind(tenant, owner, media_root, upload):
    lead = LeadFactory()

    with pytest.raises(ApplicationError):
        document_upload(lead=lead, actor=owner.user, file=upload())

    assert not LeadDocument.objects.exists()
    assert not TimelineEntry.objects.filter(lead=lead).exists()
    assert not AuditEntry.objects.filter(action="lead.document").exists()
    assert stored_files(media_root) == []


def test_exactly_ten_megabytes_is_accepted(tenant, owner, media_root):
    lead = LeadFactory()
    content = PDF + b"0" * (MAX_DOCUMENT_SIZE - len(PDF))

    document = document_upload(lead=lead, actor=owner.user, file=SimpleUploadedFile("big.pdf", content))

    assert document.size == MAX_DOCUMENT_SIZE


def test_two_files_with_the_same_name_are_both_kept(tenant, owner, media_root):
    lead = LeadFactory()

    first = document_upload(lead=lead, actor=owner.user, file=SimpleUploadedFile("a.pdf", PDF))
    second = document_upload(lead=lead, actor=owner.user, file=SimpleUploadedFile("a.pdf", PDF + b"v2"))

    assert first.file.name != second.file.name
    assert [first.original_name, second.original_name] == ["a.pdf", "a.pdf"]
    assert len(stored_files(media_root)) == 2


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.pdf", "win.pdf"),
        ("Oferta\r\nSet-Cookie: a=b.pdf", "OfertaSet-Cookie: a=b.pdf"),
        ("\x00\x1b.pdf", "document.pdf"),
        ("Informe ñandú.pdf", "Informe ñandú.pdf"),
    ],
)
def test_the_original_name_keeps_no_path_nor_control_characters(tenant, owner, media_root, name, kept):
    # Callers other than the upload form (which Django already cleans) may pass any name: stored files get
    # random names, and the name shown and sent back on download is the last path part, printable only.
    lead = LeadFactory()

    document = document_upload(lead=lead, actor=owner.user, file=SimpleUploadedFile(name, PDF))

    assert document.original_name == kept
    assert stored_files(media_root) == [f"{tenant.schema_name}/{document.file.name}"]
    assert document.file.name.startswith(f"leads/{lead.pk}/")
    assert TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.DOCUMENT).data["name"] == kept
