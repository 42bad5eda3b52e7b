"""Attachments checked by content, and who may see what (drafts, files, receipts)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.applications.models import Attachment
from maillage.people.models import Role
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AttachmentFactory,
    CallFactory,
    UserFactory,
)

from .conftest import applicant, make_docx, make_odt

pytestmark = pytest.mark.django_db


def upload(client, application, name, content, content_type="application/pdf"):
    return client.post(
        reverse("applications:step", args=[application.pk, 6]),
        {"action": "upload", "file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("cv.pdf", MINIMAL_PDF, "pdf"),
        ("projet.odt", make_odt(), "odt"),
        ("lettre.docx", make_docx(), "docx"),
    ],
)
def test_accepted_documents_are_stored_under_a_random_name(client, name, content, kind):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    response = upload(client, application, name, content)
    assert response.status_code == 302
    attachment = Attachment.objects.get(application=application)
    assert (attachment.original_name, attachment.kind, attachment.size) == (
        name,
        kind,
        len(content),
    )
    assert attachment.file.name.startswith("attachments/")
    assert name.rsplit(".", 1)[0] not in attachment.file.name
    download = client.get(reverse("applications:attachment", args=[application.pk, attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert name in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content


def test_an_executable_renamed_pdf_is_refused_by_name(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    response = upload(client, application, "facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00 exe")
    page = response.content.decode()
    assert response.status_code == 200
    assert "« facture.pdf » n&#x27;est pas un document PDF, ODT ou DOCX valide" in page
    assert not Attachment.objects.exists()


def test_a_50_mb_upload_gets_a_clear_message(client, settings):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    big = MINIMAL_PDF + b"0" * (50 * 1024 * 1024)
    response = upload(client, application, "gros.pdf", big)
    page = response.content.decode()
    assert (
        "« gros.pdf » pèse 50,0\xa0Mio : la taille maximale est de 10,0\xa0Mio par document."
        in page
    )
    assert not Attachment.objects.exists()


def test_the_number_of_documents_is_limited_and_files_are_deletable_while_draft(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MAILLAGE_MAX_ATTACHMENTS = 2
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    upload(client, application, "a.pdf", MINIMAL_PDF)
    upload(client, application, "b.pdf", MINIMAL_PDF)
    response = upload(client, application, "c.pdf", MINIMAL_PDF)
    assert "le maximum : supprimez-en un d&#x27;abord" in response.content.decode()
    first = application.attachments.first()
    path = first.file.path
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:attachment_delete", args=[application.pk, first.pk]))
    assert application.attachments.count() == 1
    assert not Path(path).exists()


def test_no_one_else_sees_a_draft_or_its_files(client):
    attachment = AttachmentFactory(application__applicant=applicant())
    application = attachment.application
    urls = [
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:step", args=[application.pk, 1]),
        reverse("applications:step", args=[application.pk, 8]),
        reverse("applications:attachment", args=[application.pk, attachment.pk]),
    ]
    # Other applicants: 404. Coordinators: the steps are not theirs (403), a draft is hidden.
    for role, expected in [
        (Role.APPLICANT, [404, 404, 404, 404]),
        (Role.COORDINATOR, [404, 403, 403, 404]),
        (Role.ADMIN, [404, 403, 403, 404]),
    ]:
        client.force_login(UserFactory(roles=[role]))
        assert [client.get(url).status_code for url in urls] == expected, role
    post_urls = [
        reverse("applications:attachment_delete", args=[application.pk, attachment.pk]),
        reverse("applications:reopen", args=[application.pk]),
    ]
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    assert [client.post(url).status_code for url in post_urls] == [404, 404]
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    client.force_login(application.applicant)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]


def test_wrong_roles_get_403_and_anonymous_visitors_the_login_page(client):
    attachment = AttachmentFactory(application__submitted=True)
    application = attachment.application
    call = CallFactory()
    urls = {
        reverse("applications:detail", args=[application.pk]): {
            Role.APPLICANT,
            Role.COORDINATOR,
            Role.ADMIN,
        },
        reverse("applications:receipt", args=[application.pk]): {
            Role.APPLICANT,
            Role.COORDINATOR,
            Role.ADMIN,
        },
        reverse("applications:attachment", args=[application.pk, attachment.pk]): {
            Role.APPLICANT,
            Role.COORDINATOR,
            Role.ADMIN,
        },
        reverse("applications:step", args=[application.pk, 1]): {Role.APPLICANT},
        reverse("applications:competence_suggestions"): {Role.APPLICANT},
        reverse("applications:resource_person_search"): {Role.APPLICANT},
    }
    for url in [*urls, reverse("applications:start", args=[call.slug])]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("people:login") in response.url, url
    for role in [Role.RESOURCE_PERSON, Role.COMMITTEE, Role.FUNDER, Role.COORDINATOR]:
        client.force_login(UserFactory(roles=[role]))
        for url, roles in urls.items():
            expected = 200 if role in roles else 403
            assert client.get(url).status_code == expected, (url, role)


def test_coordinators_see_submitted_applications_their_files_and_receipt(client):
    attachment = AttachmentFactory(application__submitted=True)
    application = attachment.application
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    page = client.get(reverse("applications:detail", args=[application.pk]))
    assert page.status_code == 200 and "Éligibilité" in page.content.decode()
    receipt = client.get(reverse("applications:receipt", args=[application.pk]))
    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF-")
    assert (
        client.get(
            reverse("applications:attachment", args=[application.pk, attachment.pk])
        ).status_code
        == 200
    )
    # Another applicant does not.
    client.force_login(applicant())
    assert client.get(reverse("applications:receipt", args=[application.pk])).status_code == 404
