"""Uploads against the checklist of issue 5 point 4 (see docs/security.md, "Uploads").

Content sniffing must agree with the extension, polyglots and active content are refused,
sizes are limited before the disk fills, stored names are random, files are served only by
an authorising view as attachments, and a refused file loses nothing else.
"""

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import Resolver404, resolve, reverse
from hypothesis import given
from hypothesis import strategies as st

from maillage.applications import filetypes
from maillage.applications.models import Attachment
from maillage.applications.uploads import SizeCapUploadHandler, cap_bytes
from maillage.people.models import Role
from tests.factories import MINIMAL_PDF, ApplicationFactory, AttachmentFactory, UserFactory

from .conftest import applicant, make_docx, make_odt

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def docx(extra: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odt_with(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO(make_odt())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def pdf_zip_polyglot() -> bytes:
    """A PDF whose bytes are also a valid zip (the zip's offsets count the PDF before it)."""
    buffer = io.BytesIO()
    buffer.write(MINIMAL_PDF)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("payload.html", HTML)
    return buffer.getvalue()


def upload(client, application, name, content, content_type="application/pdf"):
    return client.post(
        reverse("applications:step", args=[application.pk, 6]),
        {"action": "upload", "file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.fixture
def draft(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    return application


# --------------------------------------------------------------------------------------------
# What is refused, with which French message
# --------------------------------------------------------------------------------------------

REFUSED = [
    pytest.param(
        "cv.docx",
        MINIMAL_PDF,
        "« cv.docx » est en réalité un document PDF : son nom doit se terminer par « .pdf ».",
        id="pdf renamed docx",
    ),
    pytest.param(
        "lettre.pdf",
        make_docx(),
        "« lettre.pdf » est en réalité un document DOCX : son nom doit se terminer par « .docx ».",
        id="docx renamed pdf",
    ),
    pytest.param(
        "projet.docx",
        make_odt(),
        "« projet.docx » est en réalité un document ODT : son nom doit se terminer par « .odt ».",
        id="odt renamed docx",
    ),
    pytest.param(
        "sans-extension",
        MINIMAL_PDF,
        "« sans-extension » est en réalité un document PDF",
        id="no extension",
    ),
    pytest.param(
        "page.pdf",
        HTML,
        "« page.pdf » n&#x27;est pas un document PDF, ODT ou DOCX",
        id="html as pdf",
    ),
    pytest.param(
        "image.pdf",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "« image.pdf » n&#x27;est pas un document PDF, ODT ou DOCX",
        id="png as pdf",
    ),
    pytest.param(
        "double.pdf",
        pdf_zip_polyglot(),
        "« double.pdf » n&#x27;est pas un document PDF ordinaire",
        id="pdf that is also a zip",
    ),
    pytest.param(
        "page.pdf",
        b"%PDF-1.4\n" + HTML + MINIMAL_PDF[9:],
        "« page.pdf » n&#x27;est pas un document PDF ordinaire",
        id="pdf starting like a web page",
    ),
    pytest.param(
        "suite.pdf",
        MINIMAL_PDF + HTML,
        "« suite.pdf » n&#x27;est pas un document PDF ordinaire",
        id="data appended to a pdf",
    ),
    pytest.param(
        "tronque.pdf",
        MINIMAL_PDF[:-7],
        "« tronque.pdf » n&#x27;est pas un document PDF ordinaire",
        id="pdf without its end",
    ),
    pytest.param(
        "melange.docx",
        docx({"%PDF-1.4 cover": b"x"}),
        "« melange.docx » n&#x27;est pas un document DOCX ordinaire",
        id="docx starting like a pdf",
    ),
    pytest.param(
        "suite.docx",
        make_docx() + HTML,
        "« suite.docx » n&#x27;est pas un document DOCX ordinaire",
        id="data appended to a docx",
    ),
    pytest.param(
        "actif.pdf",
        MINIMAL_PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(1)>>"),
        "« actif.pdf » contient des macros ou du code exécutable",
        id="pdf with javascript",
    ),
    pytest.param(
        "lance.pdf",
        MINIMAL_PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/Launch/F(x)>>"),
        "« lance.pdf » contient des macros ou du code exécutable",
        id="pdf with a launch action",
    ),
    pytest.param(
        "macros.docx",
        docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        "« macros.docx » contient des macros ou du code exécutable",
        id="docx with macros",
    ),
    pytest.param(
        "macros.odt",
        odt_with("Basic/Standard/Module1.xml", b"<script:module/>"),
        "« macros.odt » contient des macros ou du code exécutable",
        id="odt with macros",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_a_file_whose_content_does_not_match_or_hides_another_format_is_refused(
    client, draft, name, content, message
):
    kept = AttachmentFactory(application=draft, original_name="deja-joint.pdf")
    response = upload(client, draft, name, content, content_type="application/pdf")
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    # The error is linked from the summary to the field, which says it is invalid.
    assert 'href="#id_file"' in page
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_file"', page) or re.search(
        r'<input[^>]*id="id_file"[^>]*aria-invalid="true"', page
    )
    # Nothing else is lost: the documents already joined are still there and listed.
    assert list(Attachment.objects.filter(application=draft)) == [kept]
    assert "deja-joint.pdf" in page


def test_the_accepted_formats_still_pass_the_stricter_checks(client, draft):
    for name, content in [
        ("cv.pdf", MINIMAL_PDF),
        ("CV-MAJUSCULES.PDF", MINIMAL_PDF + b"\r\n\x00\x00"),
        ("projet.odt", make_odt()),
        ("lettre.docx", make_docx()),
    ]:
        assert upload(client, draft, name, content).status_code == 302, name
    assert draft.attachments.count() == 4


# --------------------------------------------------------------------------------------------
# Size: the message, and the disk bounded while the file arrives
# --------------------------------------------------------------------------------------------


class Recorder(FileUploadHandler):
    """Placed after the cap: records how many bytes would reach the disk."""

    seen: list[int] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        Recorder.seen.append(0)

    def receive_data_chunk(self, raw_data, start):
        Recorder.seen[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


def test_an_oversized_file_is_refused_without_being_written_in_full(client, draft, settings):
    settings.MAILLAGE_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.MAILLAGE_IMPORT_MAX_BYTES = 1024 * 1024  # the cap is the larger of the two limits
    settings.FILE_UPLOAD_HANDLERS = [
        "maillage.applications.uploads.SizeCapUploadHandler",
        f"{__name__}.Recorder",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    Recorder.seen = []
    response = upload(client, draft, "enorme.pdf", MINIMAL_PDF + b"0" * (6 * 1024 * 1024))
    page = response.content.decode()
    assert "« enorme.pdf » pèse 6,0\xa0Mio : la taille maximale est de 1,0\xa0Mio" in page
    assert 'href="#id_file"' in page
    assert not Attachment.objects.exists()
    # Past the cap, no chunk reached the handlers that write memory or disk.
    assert Recorder.seen and Recorder.seen[0] <= cap_bytes() == 1024 * 1024


def test_the_cap_handler_passes_files_under_the_limit_untouched(settings):
    settings.MAILLAGE_UPLOAD_MAX_BYTES = 10
    settings.MAILLAGE_IMPORT_MAX_BYTES = 10
    handler = SizeCapUploadHandler()
    handler.new_file("file", "a.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    assert handler.receive_data_chunk(b"67890", 5) == b"67890"
    assert handler.file_complete(10) is None
    handler.new_file("file", "b.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"123456789012", 0) is None
    oversized = handler.file_complete(0)
    assert (oversized.name, oversized.size, oversized.read()) == ("b.pdf", 12, b"")


def test_upload_settings_are_sane():
    assert django_settings.FILE_UPLOAD_HANDLERS[0].endswith("SizeCapUploadHandler")
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10
    assert django_settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert cap_bytes() >= django_settings.MAILLAGE_UPLOAD_MAX_BYTES


# --------------------------------------------------------------------------------------------
# Stored names, original names, path traversal
# --------------------------------------------------------------------------------------------


def test_stored_names_are_random_and_unguessable(client, draft):
    for _ in range(2):
        upload(client, draft, "cv.pdf", MINIMAL_PDF)
    names = [a.file.name for a in draft.attachments.all()]
    assert len(set(names)) == 2
    for name in names:
        # 128 random bits, the extension given by the content, nothing from the person.
        assert re.fullmatch(r"attachments/[0-9a-f]{32}\.pdf", name)
        path = Path(django_settings.MEDIA_ROOT) / name
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _raw_multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A body written by hand: the test client would strip the folders from the name."""
    boundary = "limite-de-test"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="action"\r\n\r\nupload\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../../../etc/cron.d/evil.pdf", "evil.pdf"),
        ("..\\\\..\\\\windows\\\\system32\\\\evil.pdf", "evil.pdf"),
        ("/var/lib/maillage/media/attachments/x.pdf", "x.pdf"),
        ("..pdf", "document.pdf"),
        ("cv\t  final\u200b.pdf", "cv final.pdf"),
    ],
)
def test_folders_and_control_characters_in_the_name_are_neutralised(client, draft, sent, kept):
    body, content_type = _raw_multipart(sent, MINIMAL_PDF)
    response = client.generic(
        "POST",
        reverse("applications:step", args=[draft.pk, 6]),
        body,
        content_type=content_type,
    )
    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert attachment.original_name == kept
    media = Path(django_settings.MEDIA_ROOT).resolve()
    assert Path(attachment.file.path).resolve().parent == media / "attachments"
    assert set(media.rglob("*")) == {media / "attachments", Path(attachment.file.path)}
    download = client.get(reverse("applications:attachment", args=[draft.pk, attachment.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="{kept}"'


@given(st.text(max_size=300), st.sampled_from(["pdf", "odt", "docx"]))
def test_safe_names_have_no_folder_no_control_character_and_the_right_extension(name, kind):
    safe = filetypes.safe_name(name, kind)
    assert "/" not in safe and "\\" not in safe
    assert not any(ord(c) < 32 or ord(c) == 127 for c in safe)
    assert safe.endswith(filetypes.EXTENSIONS[kind]) and len(safe) <= 255
    assert not safe.startswith((".", " "))
    assert filetypes.safe_name(safe, kind) == safe


@given(
    st.binary(min_size=1, max_size=64).filter(
        lambda b: b.strip(b"\r\n\t \x00") and b"%%EOF" not in b
    )
)
def test_anything_appended_after_the_end_of_a_pdf_is_refused(extra):
    verdict = filetypes.inspect("cv.pdf", io.BytesIO(MINIMAL_PDF + extra))
    assert not verdict.accepted


def test_a_pdf_that_is_also_a_zip_is_refused_even_when_it_ends_like_a_pdf():
    buffer = io.BytesIO()
    buffer.write(MINIMAL_PDF)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("payload.html", HTML)
        # The zip's comment ends the file with "%%EOF": the PDF trailer check alone passes.
        archive.comment = b"\n%%EOF\n"
    data = buffer.getvalue()
    assert data.rstrip().endswith(b"%%EOF") and zipfile.is_zipfile(io.BytesIO(data))
    assert filetypes.inspect("cv.pdf", io.BytesIO(data)) == filetypes.Verdict(
        "pdf", filetypes.POLYGLOT
    )


def test_the_verdicts_name_the_reason():
    cases = {
        ("cv.pdf", MINIMAL_PDF): filetypes.Verdict("pdf"),
        ("cv.odt", make_odt()): filetypes.Verdict("odt"),
        ("cv.docx", make_docx()): filetypes.Verdict("docx"),
        ("cv.odt", MINIMAL_PDF): filetypes.Verdict("pdf", filetypes.WRONG_EXTENSION),
        ("cv.pdf", HTML): filetypes.Verdict(None, filetypes.NOT_A_DOCUMENT),
        ("cv.docx", make_docx() + b"x"): filetypes.Verdict("docx", filetypes.POLYGLOT),
        ("cv.docx", docx({"word/vbaProject.bin": b"x"})): filetypes.Verdict(
            "docx", filetypes.ACTIVE_CONTENT
        ),
    }
    for (name, data), verdict in cases.items():
        assert filetypes.inspect(name, io.BytesIO(data)) == verdict, name


@given(st.sampled_from(["cv.pdf", "cv.odt", "cv.docx"]), st.binary(max_size=200))
def test_random_bytes_are_never_accepted(name, data):
    assert not filetypes.inspect(name, io.BytesIO(data)).accepted


# --------------------------------------------------------------------------------------------
# Serving: only through the authorising view, as an attachment
# --------------------------------------------------------------------------------------------


def test_a_download_is_an_attachment_typed_by_its_content_never_cached(client, draft):
    upload(client, draft, "page.pdf", MINIMAL_PDF, content_type="text/html")
    attachment = draft.attachments.get()
    response = client.get(reverse("applications:attachment", args=[draft.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="page.pdf"'
    # The browser's claimed type is ignored: the type comes from the checked content.
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_the_receipt_is_an_attachment_never_cached(client):
    application = ApplicationFactory(applicant=applicant(), submitted=True)
    client.force_login(application.applicant)
    response = client.get(reverse("applications:receipt", args=[application.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_another_persons_attachment_is_a_404_whatever_the_route(client):
    mine = ApplicationFactory(applicant=applicant())
    theirs = AttachmentFactory(application__applicant=applicant(), application__submitted=True)
    client.force_login(mine.applicant)
    for application_pk in (theirs.application_id, mine.pk):
        url = reverse("applications:attachment", args=[application_pk, theirs.pk])
        assert client.get(url).status_code == 404, url
        delete = reverse("applications:attachment_delete", args=[application_pk, theirs.pk])
        assert client.post(delete).status_code == 404, delete
    # Uploading into someone else's application is refused before anything is stored.
    assert upload(client, theirs.application, "cv.pdf", MINIMAL_PDF).status_code == 404
    assert Attachment.objects.count() == 1
    # Committee members, funders and resource persons have no route to files at all.
    for role in (Role.COMMITTEE, Role.FUNDER, Role.RESOURCE_PERSON):
        client.force_login(UserFactory(roles=[role]))
        url = reverse("applications:attachment", args=[theirs.application_id, theirs.pk])
        assert client.get(url).status_code == 403


def test_the_media_folder_has_no_url(client, draft):
    upload(client, draft, "cv.pdf", MINIMAL_PDF)
    stored = draft.attachments.get().file.name
    for path in (f"/media/{stored}", f"/{stored}", f"/static/../media/{stored}"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert client.get(path).status_code == 404, path


def test_no_url_configuration_serves_the_media_folder_even_in_debug():
    """``static(settings.MEDIA_URL, …)`` or ``django.views.static.serve`` added under
    ``if settings.DEBUG`` would not show in the tests (they run with DEBUG off): read the
    sources instead."""
    import maillage

    root = Path(maillage.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*urls.py")
        if any(word in path.read_text() for word in ("MEDIA_", "views.static", "static("))
    ]
    assert offenders == []
