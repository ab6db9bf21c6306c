"""Attachments of cases and entities: upload, list, download, thumbnail and reasoned removal.

The type of a file is read from its bytes (``filetype``'s signatures, and a check that a text
is text and no web page), never from its name or the browser's Content-Type; a name whose
extension says another type is refused. The file goes to the one store of uploads
(:mod:`.files`, by SHA-256). Images and PDFs are then decoded by the ``thumbnail`` job, in a
process of its own under the job limits (``assettrack.jobs``): Pillow with a pixel limit, the
first PDF page by pypdfium2 at a scale that bounds the bitmap. A file that does not decode, or
breaks a limit (a decompression bomb), is marked refused and is no longer served; the thumbnail
served is the PNG the job re-encoded, never the uploaded bytes.

Every upload, download (a consultation), thumbnail read and removal is audited; a removal is
reasoned and hides the row, nothing is deleted before retention.
"""

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype
from flask import current_app
from sqlalchemy import and_
from sqlalchemy import select
from sqlmodel import Session

from .. import access
from .. import audit
from .. import jobs
from ..errors import Invalid
from ..errors import Msg
from ..errors import NotFound
from ..models import Case
from ..models import Entity
from ..models import Job
from ..models import User
from ..models import utcnow
from ..models.attachments import NAME_MAX
from ..models.attachments import REASON_MAX
from ..models.attachments import Attachment
from ..models.attachments import PreviewState
from . import files
from .entities import get_entity

__all__ = [
    "KINDS",
    "THUMBNAIL_JOB",
    "AttachmentView",
    "Refused",
    "sniff",
    "get_owner",
    "upload",
    "list_for",
    "for_download",
    "thumbnail_for",
    "remove",
    "make_thumbnail",
]

THUMBNAIL_JOB = "thumbnail"
THUMBNAIL_PIXELS = 320  # the longer side of a thumbnail
_SNIFF_BYTES = 8192  # what filetype reads, and what the text check reads


def N_(msgid: str) -> str:  # noqa: N802 (the name pybabel extracts by default)
    """Mark ``msgid`` for translation; it is translated where it is shown."""
    return msgid


@dataclass(frozen=True)
class Kind:
    """An accepted type: its MIME type, what users call it, its extensions, its preview."""

    mime: str
    label: str
    extensions: tuple[str, ...]
    preview: str | None = None  # "image", "pdf" or None


_OFFICE_ZIP = ("docx", "xlsx", "pptx", "odt", "ods", "odp")

#: The accepted types. The first extension is the usual one.
KINDS: tuple[Kind, ...] = (
    Kind("application/pdf", N_("a PDF document"), ("pdf",), "pdf"),
    Kind("image/jpeg", N_("a JPEG image"), ("jpg", "jpeg", "jpe", "jfif"), "image"),
    Kind("image/png", N_("a PNG image"), ("png",), "image"),
    Kind("image/gif", N_("a GIF image"), ("gif",), "image"),
    Kind("image/webp", N_("a WebP image"), ("webp",), "image"),
    Kind("image/tiff", N_("a TIFF image"), ("tif", "tiff"), "image"),
    Kind("image/bmp", N_("a BMP image"), ("bmp",), "image"),
    Kind("image/heic", N_("a HEIC photo"), ("heic", "heif")),
    Kind("application/msword", N_("a Word document"), ("doc",)),
    Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        N_("a Word document"),
        ("docx",),
    ),
    Kind("application/vnd.ms-excel", N_("an Excel workbook"), ("xls",)),
    Kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        N_("an Excel workbook"),
        ("xlsx",),
    ),
    Kind("application/vnd.ms-powerpoint", N_("a PowerPoint presentation"), ("ppt",)),
    Kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        N_("a PowerPoint presentation"),
        ("pptx",),
    ),
    Kind("application/vnd.oasis.opendocument.text", N_("an OpenDocument text"), ("odt",)),
    Kind(
        "application/vnd.oasis.opendocument.spreadsheet",
        N_("an OpenDocument spreadsheet"),
        ("ods",),
    ),
    Kind(
        "application/vnd.oasis.opendocument.presentation",
        N_("an OpenDocument presentation"),
        ("odp",),
    ),
    Kind("application/rtf", N_("an RTF document"), ("rtf",)),
    Kind("application/zip", N_("a ZIP archive"), ("zip",)),
    Kind("audio/mpeg", N_("an MP3 recording"), ("mp3",)),
    Kind("audio/mp4", N_("an M4A recording"), ("m4a",)),
    Kind("audio/x-wav", N_("a WAV recording"), ("wav",)),
    Kind("video/mp4", N_("an MP4 video"), ("mp4", "m4v")),
    Kind("video/quicktime", N_("a QuickTime video"), ("mov",)),
    Kind("text/csv", N_("a CSV table"), ("csv",)),
    Kind("message/rfc822", N_("an e-mail message"), ("eml",)),
    Kind("text/plain", N_("a text file"), ("txt", "text", "log", "md")),
)
_BY_MIME = {kind.mime: kind for kind in KINDS}
_BY_EXTENSION = {ext: kind for kind in KINDS for ext in kind.extensions}
_TEXT = ("text/plain", "text/csv", "message/rfc822")
# What a web page (or an SVG, which runs scripts too) starts or is made of.
_MARKUP = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<iframe")


@dataclass(frozen=True)
class AttachmentView:
    """An attachment as a list shows it (one row of one query)."""

    id: int
    name: str
    content_type: str
    label: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    preview: PreviewState
    preview_error: str | None
    case_id: int | None
    entity_id: int | None

    @property
    def has_thumbnail(self) -> bool:
        """Whether the job made a thumbnail to show."""
        return self.preview is PreviewState.READY

    @property
    def servable(self) -> bool:
        """Whether the file may be downloaded (not refused by its check)."""
        return self.preview is not PreviewState.REFUSED


class Refused(Exception):
    """The content does not decode as its type, or breaks a limit; ``reason`` is a msgid."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- the type, from the bytes ------------------------------------------------------------------


def sniff(data: bytes, name: str) -> Kind:
    """Return the accepted type of ``data``, read from its bytes; ``name`` must not contradict it.

    Raises
    ------
    Invalid
        On the field ``file``: a web page, a type not accepted, or a name whose extension is
        that of another type.

    Examples
    --------
    >>> sniff(b"%PDF-1.7 ...", "order.pdf").mime
    'application/pdf'
    >>> sniff(b"Name;IBAN\\nA;NL91", "accounts.csv").mime
    'text/csv'
    >>> sniff(b"<!DOCTYPE html><html><script>", "order.pdf").mime
    Traceback (most recent call last):
    ...
    assettrack.errors.Invalid: file: the content is a web page (HTML or SVG), which is not \
accepted whatever the file's name
    """
    head = data[:_SNIFF_BYTES]
    extension = Path(name or "").suffix.lower().lstrip(".")
    named = _BY_EXTENSION.get(extension)
    found = filetype.guess(head)
    if found is not None and found.mime in _BY_MIME:
        kind = _BY_MIME[found.mime]
    elif found is not None and found.mime == "application/zip" and extension in _OFFICE_ZIP:
        kind = named  # an office file that filetype knows only as the zip it is
    elif found is None and _is_text(head):
        if _is_markup(head):
            raise Invalid(
                {
                    "file": Msg(
                        "the content is a web page (HTML or SVG), which is not accepted "
                        "whatever the file's name"
                    )
                }
            )
        kind = named if named is not None and named.mime in _TEXT else _BY_MIME["text/plain"]
    else:
        raise Invalid(
            {
                "file": Msg(
                    "this kind of file is not accepted: send a PDF, an image, an office "
                    "document, a text, an e-mail, a recording, a video or a ZIP archive"
                )
            }
        )
    if named is not None and named is not kind and not (named.mime in _TEXT and kind.mime in _TEXT):
        raise Invalid(
            {
                "file": Msg(
                    "the content is {found}, but the name ends in .{extension}: "
                    "upload the right file or correct its name",
                    found=Msg(kind.label),
                    extension=extension,
                )
            }
        )
    return kind


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            # A character cut at the end of the head is not a reason to say "binary".
            if encoding == "utf-8" and exc.start >= len(head) - 3 and len(head) == _SNIFF_BYTES:
                text = head[: exc.start].decode(encoding)
            else:
                continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        return controls <= len(text) // 100
    return False


def _is_markup(head: bytes) -> bool:
    lowered = head.lower().lstrip(b"\xef\xbb\xbf \t\r\n")
    return lowered.startswith(b"<?xml") or any(tag in lowered for tag in _MARKUP)


# --- uploading ---------------------------------------------------------------------------------


def get_owner(session: Session, user: User, *, case_id=None, entity_id=None) -> Case | Entity:
    """Return the case or entity an attachment is for, if ``user`` may read it, else NotFound."""
    if case_id is not None:
        return access.get_case(session, user, case_id)
    return get_entity(session, user, entity_id, audit_read=False)


def upload(
    session: Session,
    user: User,
    owner: Case | Entity,
    name: str,
    data: bytes,
    files_dir: str,
    max_bytes: int,
) -> tuple[Attachment, Job | None]:
    """Attach ``data`` to a case or an entity; return the row and the thumbnail job to start.

    Nothing is written when the file is refused. The caller commits, then starts the job.
    """
    _require_edit(user, owner)
    name = Path((name or "").replace("\\", "/")).name.strip()[:NAME_MAX] or "attachment"
    if not data:
        raise Invalid({"file": Msg("the file is empty")})
    if len(data) > max_bytes:
        raise Invalid(
            {
                "file": Msg(
                    "the file is larger than the limit of {limit} MB",
                    limit=max(1, max_bytes // (1024 * 1024)),
                )
            }
        )
    kind = sniff(data, name)
    relative, digest = files.store(files_dir, data)
    is_case = isinstance(owner, Case)
    row = Attachment(
        organisation_id=owner.organisation_id,
        case_id=owner.id if is_case else None,
        entity_id=None if is_case else owner.id,
        name=name,
        content_type=kind.mime,
        size=len(data),
        sha256=digest,
        path=relative,
        uploaded_by_id=user.id,
        preview=(PreviewState.PENDING if kind.preview else PreviewState.NONE).value,
    )
    session.add(row)
    session.flush()
    job = None
    if kind.preview:
        job = jobs.create_job(session, user, THUMBNAIL_JOB, {"attachment_id": row.id})
        row.job_id = job.id
        session.add(row)
        session.flush()
    audit.record(
        session,
        user,
        audit.Action.CREATE,
        "attachment",
        row.id,
        details={**_owner_facts(owner), "name": name, "sha256": digest, "size": len(data)},
        organisation_id=owner.organisation_id,
    )
    return row, job


# --- reading -----------------------------------------------------------------------------------


def list_for(session: Session, user: User, owner: Case | Entity) -> list[AttachmentView]:
    """Return the attachments of a case or entity ``user`` may read, newest first (one query).

    The owner's read scope is the caller's to have checked (``get_owner``, or the case page).
    """
    if owner.organisation_id not in access.readable_organisation_ids(session, user):
        raise NotFound("not found")
    column = Attachment.case_id if isinstance(owner, Case) else Attachment.entity_id
    rows = session.execute(
        select(Attachment, User.name, Job.status, Job.error)
        .join(User, User.id == Attachment.uploaded_by_id)
        .outerjoin(Job, Job.id == Attachment.job_id)
        .where(column == owner.id, Attachment.removed_at.is_(None))
        .order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())
    ).all()
    return [_view(row, uploader, status, error) for row, uploader, status, error in rows]


def for_download(
    session: Session, user: User, attachment_id: int, files_dir: str, *, owner=None
) -> tuple[Path, Attachment]:
    """Return the stored file and row of an attachment ``user`` may read; the read is audited.

    ``owner`` (a case or entity already read) must be the attachment's. NotFound outside the
    scope, once removed, or when its check refused the content.
    """
    row, view = _readable(session, user, attachment_id, owner)
    if not view.servable:
        raise NotFound(f"attachment {attachment_id} was refused by its check")
    path = files.stored_path(files_dir, row.path)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "attachment",
        row.id,
        details={**_row_facts(row), "download": row.name, "sha256": row.sha256},
        organisation_id=row.organisation_id,
    )
    return path, row


def thumbnail_for(session: Session, user: User, attachment_id: int, files_dir: str) -> Path:
    """Return the re-encoded PNG thumbnail of an attachment ``user`` may read; audited."""
    row, view = _readable(session, user, attachment_id, None)
    if not view.has_thumbnail or not row.thumbnail_path:
        raise NotFound(f"attachment {attachment_id} has no thumbnail")
    path = files.stored_path(files_dir, row.thumbnail_path)
    audit.record(
        session,
        user,
        audit.Action.READ,
        "attachment",
        row.id,
        details={**_row_facts(row), "thumbnail": row.name},
        organisation_id=row.organisation_id,
    )
    return path


def get_for_edit(session: Session, user: User, attachment_id: int) -> Attachment:
    """Return an attachment ``user`` may remove (an officer of its organisation), else raise."""
    row, _view = _readable(session, user, attachment_id, None)
    access.require_edit_organisation(user, row.organisation_id)
    return row


def remove(session: Session, user: User, attachment_id: int, reason: str) -> Attachment:
    """Hide an attachment, saying why; the file stays until retention. Audited."""
    row = get_for_edit(session, user, attachment_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": Msg("say why the file is removed")})
    if len(reason) > REASON_MAX:
        raise Invalid(
            {
                "reason": Msg(
                    "is {length} characters long; the limit is {limit}",
                    length=len(reason),
                    limit=REASON_MAX,
                )
            }
        )
    row.removed_at = utcnow()
    row.removed_by_id = user.id
    row.removal_reason = reason
    session.add(row)
    session.flush()
    audit.record(
        session,
        user,
        audit.Action.UPDATE,
        "attachment",
        row.id,
        details={**_row_facts(row), "removed": row.name, "sha256": row.sha256},
        justification=reason,
        organisation_id=row.organisation_id,
    )
    return row


def label_of(mime: str) -> str:
    """What users call a type (a msgid to translate)."""
    kind = _BY_MIME.get(mime)
    return kind.label if kind else mime


# --- the thumbnail job -------------------------------------------------------------------------


@jobs.handler(THUMBNAIL_JOB)
def _thumbnail_job(session: Session, job: Job, user: User, params: dict, progress):
    """Decode an image or the first page of a PDF and keep a PNG thumbnail (or refuse it)."""
    row = session.get(Attachment, int(params["attachment_id"]))
    if row is None or row.preview != PreviewState.PENDING.value:
        return None
    files_dir = current_app.config["FILES_DIR"]
    source = files.stored_path(files_dir, row.path)
    try:
        png = make_thumbnail(
            source.read_bytes(),
            _BY_MIME[row.content_type].preview,
            max_pixels=int(current_app.config["ATTACHMENT_MAX_PIXELS"]),
        )
    except Refused as exc:
        row.preview = PreviewState.REFUSED.value
        row.preview_error = exc.reason
    else:
        if png is None:
            row.preview = PreviewState.NONE.value
        else:
            row.thumbnail_path, _digest = files.store(files_dir, png)
            row.preview = PreviewState.READY.value
    session.add(row)
    session.flush()
    return None


def make_thumbnail(data: bytes, preview: str, *, max_pixels: int) -> bytes | None:
    """Return a PNG of at most ``THUMBNAIL_PIXELS`` a side, made from an image or a PDF.

    Returns None for a PDF protected by a password (a legitimate file without a preview).

    Raises
    ------
    Refused
        When the content does not decode, or the image has more than ``max_pixels`` pixels.
    """
    image = _pdf_page(data) if preview == "pdf" else _image(data, max_pixels)
    if image is None:
        return None
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _image(data: bytes, max_pixels: int):
    from PIL import Image
    from PIL import ImageOps
    from PIL import UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise Refused(N_("the image has more pixels than the limit"))
                image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))  # JPEG: decode smaller
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(N_("the image has more pixels than the limit")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Refused(N_("the image cannot be read: it is damaged or not an image")) from None


def _pdf_page(data: bytes):
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return None
        raise Refused(N_("the PDF cannot be read: it is damaged or not a PDF")) from None
    try:
        if len(document) < 1:
            raise Refused(N_("the PDF has no page"))
        page = document[0]
        width, height = page.get_size()
        if not (width > 0 and height > 0):
            raise Refused(N_("the PDF cannot be read: it is damaged or not a PDF"))
        # The scale bounds the bitmap whatever size the page claims (a huge MediaBox).
        scale = min(THUMBNAIL_PIXELS / width, THUMBNAIL_PIXELS / height)
        bitmap = page.render(scale=scale, may_draw_forms=False)
        return bitmap.to_pil().copy()
    except pdfium.PdfiumError:
        raise Refused(N_("the PDF cannot be read: it is damaged or not a PDF")) from None
    finally:
        document.close()


# --- helpers -----------------------------------------------------------------------------------


def _require_edit(user: User, owner: Case | Entity) -> None:
    if isinstance(owner, Case):
        access.require_edit_case(user, owner)
    else:
        access.require_edit_organisation(user, owner.organisation_id)


def _readable(session: Session, user: User, attachment_id: int, owner):
    """The row and view of an attachment ``user`` may read (its owner's scope), else NotFound."""
    found = session.execute(
        select(Attachment, User.name, Job.status, Job.error)
        .join(User, User.id == Attachment.uploaded_by_id)
        .outerjoin(Job, Job.id == Attachment.job_id)
        .where(
            and_(
                Attachment.id == attachment_id,
                Attachment.removed_at.is_(None),
                Attachment.organisation_id.in_(
                    access.readable_organisation_ids(session, user) or {-1}
                ),
            )
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"attachment {attachment_id} not found")
    row = found[0]
    if owner is not None:
        mine = row.case_id if isinstance(owner, Case) else row.entity_id
        if mine != owner.id:
            raise NotFound(f"attachment {attachment_id} not found")
    return row, _view(*found)


def _view(row: Attachment, uploader: str, job_status: str | None, job_error: str | None):
    preview = PreviewState(row.preview)
    error = row.preview_error
    if preview is PreviewState.PENDING and job_status == "failed":
        # The job's process was stopped (memory, time) or crashed: the content is not served.
        preview, error = PreviewState.REFUSED, job_error
    return AttachmentView(
        id=row.id,
        name=row.name,
        content_type=row.content_type,
        label=label_of(row.content_type),
        size=row.size,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
        uploaded_by=uploader,
        preview=preview,
        preview_error=error,
        case_id=row.case_id,
        entity_id=row.entity_id,
    )


def _owner_facts(owner: Case | Entity) -> dict:
    if isinstance(owner, Case):
        return {"case": owner.reference}
    return {"entity": owner.id}


def _row_facts(row: Attachment) -> dict:
    return {"case_id": row.case_id} if row.case_id else {"entity": row.entity_id}
