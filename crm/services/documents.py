"""Lead documents: uploads checked by extension and by content, stored with the tenant's storage under the
lead, and recorded in the lead's history."""

from __future__ import annotations

import codecs
import uuid
import zipfile
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import Lead, LeadDocument, TimelineEntry
from crm.services.timeline import timeline_add

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
ALLOWED_EXTENSIONS = tuple(CONTENT_TYPES)
_SNIFF_BYTES = 8192
_OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# Bytes that never appear in a text file (NUL and the C0 controls other than tab, newlines, form feed, escape).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})


def _extension(name: str) -> str:
    return PurePath(name or "").suffix.lower().lstrip(".")


def _display_name(name: str, extension: str) -> str:
    """The name shown and sent back on download: its last path part (either separator), printable
    characters only (PostgreSQL refuses NUL; line breaks have no place in a name)."""
    last = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(char for char in last if char.isprintable()).strip()
    if clean.lower() in ("", f".{extension}"):
        clean = f"document.{extension}"
    return clean[:255]


def _is_text(head: bytes) -> bool:
    if any(byte in _BINARY_BYTES for byte in head):
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            # Incremental, so a multi-byte character cut at the end of the sample is not an error.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _is_office(file, part: str) -> bool:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and part in names


def content_matches(extension: str, file) -> bool:
    """Whether the file's first bytes (or, for Office files, its zip parts) are what its extension says."""
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in _OFFICE_PARTS:
        matches = head.startswith(b"PK\x03\x04") and _is_office(file, _OFFICE_PARTS[extension])
        file.seek(0)
        return matches
    return _is_text(head)


def validate_document(file) -> str:
    """The file's extension when it may be stored; raises ApplicationError saying why not otherwise."""
    extension = _extension(file.name)
    if extension not in CONTENT_TYPES:
        raise ApplicationError(
            _("This type of file is not accepted. Upload one of: %(types)s.") % {"types": ", ".join(ALLOWED_EXTENSIONS)}
        )
    if file.size > MAX_DOCUMENT_SIZE:
        raise ApplicationError(_("The file is too big: the limit is 10 MB."))
    if file.size == 0:
        raise ApplicationError(_("The file is empty."))
    if not content_matches(extension, file):
        raise ApplicationError(
            _("The file's content does not match its extension (.%(extension)s).") % {"extension": extension}
        )
    return extension


@transaction.atomic
def document_upload(*, lead: Lead, actor, file) -> LeadDocument:
    """Stores an uploaded file under the lead (tenant storage, random file name, original name kept) after
    checking its extension, size (<= 10 MB) and sniffed content. Writes a `document` timeline entry
    and an audit entry. Raises ApplicationError, storing nothing, when the file is refused."""
    extension = validate_document(file)
    original_name = _display_name(file.name, extension)
    document = LeadDocument(
        lead=lead,
        original_name=original_name,
        content_type=CONTENT_TYPES[extension],
        size=file.size,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    document.file.save(f"{uuid.uuid4().hex}.{extension}", file, save=False)
    try:
        document.save()
        timeline_add(
            lead=lead,
            kind=TimelineEntry.Kind.DOCUMENT,
            actor=actor,
            data={"document_id": document.pk, "name": original_name, "size": document.size},
        )
        audit_log(
            action="lead.document",
            actor=actor,
            obj=lead,
            changes={"document": {"before": None, "after": original_name}},
        )
    except Exception:
        # The file is already on disk; do not leave it behind when its rows are not written.
        document.file.delete(save=False)
        raise
    return document
