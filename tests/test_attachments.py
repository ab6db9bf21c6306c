"""Attachments of cases and entities: type from the bytes, thumbnails by a job, bombs, scope."""

import io
import json
import zlib

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from assettrack.models import AuditEntry
from assettrack.models import Job
from assettrack.models.attachments import Attachment
from assettrack.services import attachments as attachment_service
from assettrack.services import entities as entity_service
from tests.conftest import _make_app
from tests.conftest import bearer
from tests.conftest import login

HTML = b"<!DOCTYPE html>\n<html><head><title>Order</title></head><body><script>alert(1)</script>"


# --- files made by the tests -------------------------------------------------------------------


def png(width=640, height=480, colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg_bomb(width=30_000, height=30_000) -> bytes:
    """A small JPEG whose header claims ``width`` × ``height`` pixels (900 million)."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 0, 0)).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (1 is the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def one_page_pdf(content: bytes = b"0 0 1 rg 50 50 300 500 re f", flate=False, size=(595, 842)):
    extra = b" /Filter /FlateDecode" if flate else b""
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R >>" % size,
            b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream",
        ]
    )


def pdf_bomb(megabytes=1024) -> bytes:
    """A 1 MB PDF whose page content inflates to ``megabytes`` MB of spaces."""
    chunk = b" " * (1024 * 1024)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    # A block ending in a full flush compresses the same way every time: repeat it.
    block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(chunk, adler)
    stream = b"\x78\xda" + block * megabytes + b"\x03\x00" + adler.to_bytes(4, "big")
    return one_page_pdf(stream, flate=True)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def officer(make_user):
    return make_user("officer", "NLRTM")


@pytest.fixture
def case(make_case, officer):
    return make_case(officer)


def post_file(client, url, name, data, *, follow=False, **kwargs):
    """POST ``data`` as the multipart field ``file``; the body the client spooled is closed."""
    builder = EnvironBuilder(
        path=url, method="POST", data={"file": (io.BytesIO(data), name)}, **kwargs
    )
    environ = builder.get_environ()  # over 500 KB the body is spooled to a temporary file
    try:
        return client.open(environ, follow_redirects=follow)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def upload(client, case_id, name, data, follow=False):
    return post_file(client, f"/cases/{case_id}/attachments/new", name, data, follow=follow)


def fetch(client, url, **kwargs):
    """GET ``url``; the response (a file sent from disk) is read and closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def rows(session):
    session.expire_all()
    return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def audit_actions(session, object_type="attachment"):
    session.expire_all()
    return [
        (e.action, json.loads(e.details))
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.seq)
        )
    ]


# --- the type comes from the bytes -------------------------------------------------------------


def test_an_html_file_renamed_pdf_is_refused_beside_the_field(client, session, officer, case):
    login(client, officer)
    response = upload(client, case.id, "freezing-order.pdf", HTML)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page
    assert "web page (HTML or SVG), which is not accepted" in page
    assert rows(session) == []
    assert audit_actions(session) == []


def test_an_html_file_is_refused_in_french_too(client, session, make_user, make_case):
    officer = make_user("officer", "NLRTM", language="fr")
    case = make_case(officer)
    login(client, officer)
    response = upload(client, case.id, "ordonnance.pdf", HTML)
    assert response.status_code == 422
    assert "page web (HTML ou SVG)" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("order.pdf", one_page_pdf(), "application/pdf"),
        ("photo.jpeg", jpeg_bomb(16, 16), "image/jpeg"),
        ("scan", png(8, 8), "image/png"),  # no extension: the bytes say
        ("accounts.csv", b"Naam;IBAN\nJansen;NL91ABNA0417164300\n", "text/csv"),
        ("notes.txt", "Garée à Gênes, quai 7\n".encode("cp1252"), "text/plain"),
        ("readme", b"plain words\n", "text/plain"),
    ],
)
def test_accepted_types_are_read_from_the_bytes(name, data, mime):
    assert attachment_service.sniff(data, name).mime == mime


@pytest.mark.parametrize(
    ("name", "data", "refusal"),
    [
        ("order.pdf", HTML, "web page"),
        ("picture.png", b"  <svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "web page"),
        ("data.txt", b"<?xml version='1.0'?><html/>", "web page"),
        ("photo.pdf", png(8, 8), "the content is a PNG image, but the name ends in .pdf"),
        ("order.jpg", one_page_pdf(), "the content is a PDF document, but the name ends in .jpg"),
        ("tool.pdf", b"MZ\x90\x00\x03" + b"\x00" * 60 + b"PE\x00\x00", "not accepted"),
        ("blob.bin", bytes(range(256)) * 4, "not accepted"),
    ],
)
def test_refused_types_say_why(name, data, refusal):
    with pytest.raises(attachment_service.Invalid) as caught:
        attachment_service.sniff(data, name)
    assert refusal in str(caught.value.errors["file"])


def test_an_empty_or_too_large_file_is_refused(database_url, tmp_path, session, officer, case):
    app = _make_app(database_url, tmp_path / "small", ATTACHMENT_MAX_BYTES=1024 * 1024)
    client = app.test_client()
    login(client, officer)
    assert "the file is empty" in upload(client, case.id, "a.pdf", b"").get_data(as_text=True)
    response = upload(client, case.id, "big.txt", b"x" * (1024 * 1024 + 1))
    assert response.status_code == 422
    assert "larger than the limit of 1 MB" in response.get_data(as_text=True)
    assert rows(session) == []
    app.extensions["assettrack.engine"].dispose()


# --- thumbnails, made by the job ---------------------------------------------------------------


def test_an_image_shows_a_thumbnail_the_job_re_encoded(client, session, officer, case):
    login(client, officer)
    response = upload(client, case.id, "vessel.png", png(1600, 900), follow=True)
    assert response.status_code == 200
    (row,) = rows(session)
    assert row.preview == "ready"
    job = session.get(Job, row.job_id)
    assert (job.kind, job.status) == ("thumbnail", "done")
    page = response.get_data(as_text=True)
    thumb_url = f"/attachments/{row.id}/thumbnail"
    assert f'src="{thumb_url}"' in page
    assert 'alt="Preview of vessel.png"' in page
    thumb = fetch(client, thumb_url)
    assert thumb.status_code == 200
    assert thumb.mimetype == "image/png"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(thumb.data))
    assert image.format == "PNG"
    assert max(image.size) == attachment_service.THUMBNAIL_PIXELS
    assert thumb.data != png(1600, 900)


def test_a_pdf_shows_its_first_page_as_thumbnail(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "order.pdf", one_page_pdf())
    (row,) = rows(session)
    assert row.preview == "ready"
    image = Image.open(io.BytesIO(fetch(client, f"/attachments/{row.id}/thumbnail").data))
    assert image.height == attachment_service.THUMBNAIL_PIXELS
    assert image.getpixel((image.width // 2, image.height // 2))[:3] == (0, 0, 255)


def test_a_page_of_absurd_size_makes_a_small_thumbnail(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "huge.pdf", one_page_pdf(size=(14_400_000, 14_400_000)))
    (row,) = rows(session)
    assert row.preview == "ready"
    image = Image.open(io.BytesIO(fetch(client, f"/attachments/{row.id}/thumbnail").data))
    assert max(image.size) <= attachment_service.THUMBNAIL_PIXELS


def test_an_office_file_has_no_thumbnail_and_no_job(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "notes.txt", b"Seen at quay 7.\n")
    (row,) = rows(session)
    assert (row.preview, row.job_id, row.content_type) == ("none", None, "text/plain")
    assert fetch(client, f"/attachments/{row.id}/thumbnail").status_code == 404


def test_a_jpeg_decompression_bomb_is_refused_and_never_served(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "bomb.jpg", jpeg_bomb())
    (row,) = rows(session)
    assert row.preview == "refused"
    assert row.preview_error == "the image has more pixels than the limit"
    assert session.get(Job, row.job_id).status == "done"  # refused by the job, not a crash
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "the image has more pixels than the limit" in page
    assert fetch(client, f"/attachments/{row.id}/file").status_code == 404
    assert fetch(client, f"/attachments/{row.id}/thumbnail").status_code == 404


def test_a_pdf_bomb_is_stopped_by_the_job_limit_and_the_worker_goes_on(
    database_url, tmp_path, session, officer, case
):
    app = _make_app(database_url, tmp_path / "bomb", JOB_MEMORY_MB_BY_KIND={"thumbnail": 200})
    client = app.test_client()
    login(client, officer)
    upload(client, case.id, "bomb.pdf", pdf_bomb())
    (bomb,) = rows(session)
    job = session.get(Job, bomb.job_id)
    assert job.status == "failed"
    assert "200 MB" in job.error
    listed = attachment_service.list_for(session, officer, case)
    assert listed[0].preview.value == "refused"
    assert fetch(client, f"/attachments/{bomb.id}/file").status_code == 404
    # The process that ran the request (the worker, here) is unharmed: the next file is fine.
    upload(client, case.id, "order.pdf", one_page_pdf())
    assert rows(session)[-1].preview == "ready"
    app.extensions["assettrack.engine"].dispose()


# --- serving within scope ----------------------------------------------------------------------


def test_a_download_is_an_attachment_with_nosniff_and_is_audited(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "extract.pdf", one_page_pdf())
    (row,) = rows(session)
    response = fetch(client, f"/attachments/{row.id}/file")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "extract.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert response.data == one_page_pdf()
    actions = audit_actions(session)
    assert actions[0][0] == "create"
    assert actions[0][1]["sha256"] == row.sha256
    assert ("read", row.name) in [(a, d.get("download")) for a, d in actions]


def test_a_liaison_outside_the_case_organisation_gets_404(
    client, session, make_user, officer, case
):
    login(client, officer)
    upload(client, case.id, "vessel.png", png())
    (row,) = rows(session)
    client.post("/logout")
    outsider = make_user("liaison", "BEANR")
    login(client, outsider)
    for url in (f"/attachments/{row.id}/file", f"/attachments/{row.id}/thumbnail"):
        assert fetch(client, url).status_code == 404
    assert upload(client, case.id, "more.png", png()).status_code == 404
    client.post("/logout")
    granted = make_user("liaison", "BEANR", "NLRTM")
    login(client, granted)
    assert fetch(client, f"/attachments/{row.id}/file").status_code == 200
    assert fetch(client, f"/attachments/{row.id}/remove").status_code == 403  # reads, edits nothing


def test_removal_is_reasoned_hides_the_file_and_keeps_it(client, session, officer, case):
    login(client, officer)
    upload(client, case.id, "wrong.png", png())
    (row,) = rows(session)
    refused = client.post(f"/attachments/{row.id}/remove", data={"reason": "  "})
    assert refused.status_code == 422
    assert "say why the file is removed" in refused.get_data(as_text=True)
    done = client.post(f"/attachments/{row.id}/remove", data={"reason": "wrong case"})
    assert done.status_code == 302
    (row,) = rows(session)
    assert row.removal_reason == "wrong case"
    assert fetch(client, f"/attachments/{row.id}/file").status_code == 404
    assert "wrong.png" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    stored = attachment_service.files.stored_path(client.application.config["FILES_DIR"], row.path)
    assert stored.read_bytes() == png()  # nothing deleted before retention
    removal = [e for e in session.scalars(select(AuditEntry)) if e.object_type == "attachment"][-1]
    assert removal.action == "update"
    assert removal.justification == "wrong case"


def test_a_get_never_writes_an_attachment(client, session, officer, case):
    login(client, officer)
    assert client.get(f"/cases/{case.id}/attachments/new").status_code == 200
    assert rows(session) == []


# --- entities and the API ----------------------------------------------------------------------


@pytest.mark.backends
def test_the_api_lists_uploads_and_downloads_on_cases_and_entities(
    backend, client, session, officer, case, token_for, make_user
):
    headers = bearer(token_for(officer))
    link = entity_service.add_entity_to_case(
        session, officer, case, {"schema": "Vessel", "properties": {"name": ["Nordic Star"]}}
    )
    session.commit()
    for base in (f"/api/v1/cases/{case.id}", f"/api/v1/entities/{link.entity_id}"):
        made = post_file(client, base + "/attachments", "photo.png", png(), headers=headers)
        assert made.status_code == 201, made.json
        body = made.json
        assert (body["content_type"], body["preview"], body["size"]) == (
            "image/png",
            "ready",
            len(png()),
        )
        assert body["thumbnail"].endswith("/thumbnail")
        listed = client.get(base + "/attachments", headers=headers).json["items"]
        assert [a["id"] for a in listed] == [body["id"]]
        download = fetch(client, body["file"], headers=headers)
        assert download.status_code == 200
        assert download.data == png()
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    refused = post_file(
        client, f"/api/v1/cases/{case.id}/attachments", "order.pdf", HTML, headers=headers
    )
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "web page" in refused.json["errors"][0]["detail"]
    outsider = bearer(token_for(make_user("liaison", "BEANR")))
    assert client.get(f"/api/v1/cases/{case.id}/attachments", headers=outsider).status_code == 404
    assert fetch(client, body["file"], headers=outsider).status_code == 404
    # An attachment of one case is not reached through another.
    other = client.post("/api/v1/cases", json={"title": "Other"}, headers=headers).json["id"]
    first = listed[0]["id"]
    wrong = f"/api/v1/cases/{other}/attachments/{first}/file"
    assert fetch(client, wrong, headers=headers).status_code == 404


@pytest.mark.backends
def test_the_service_keeps_one_file_for_the_same_bytes(backend, app, session, officer, case):
    files_dir = app.config["FILES_DIR"]
    first, _ = attachment_service.upload(
        session, officer, case, "a.txt", b"same words\n", files_dir, 1024
    )
    second, _ = attachment_service.upload(
        session, officer, case, "b.txt", b"same words\n", files_dir, 1024
    )
    session.commit()
    assert first.path == second.path and first.sha256 == second.sha256
    listed = attachment_service.list_for(session, officer, case)
    assert [a.name for a in listed] == ["b.txt", "a.txt"]
    assert listed[0].uploaded_by == officer.name
