import io
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    ApplicationState,
    Attachment,
    EmployerApproval,
    Message,
    StaffNote,
)
from maillage.directory.models import IndexTerm
from maillage.pairing.models import ProposalStatus
from maillage.people.models import ResourcePerson, Role, User
from maillage.privacy.models import AuditAction, AuditEvent
from maillage.privacy.services import ERASED_TEXT, anonymous_email, erase_account
from maillage.review.models import Score
from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    ApplicationRevisionFactory,
    AttachmentFactory,
    CompetenceFactory,
    EmployerApprovalFactory,
    MessageFactory,
    ProposalFactory,
    ResourcePersonFactory,
    ReviewAssignmentFactory,
    ScoreFactory,
    StaffNoteFactory,
    TransferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERSONAL = {
    "first_name": "Apolline",
    "last_name": "Vidal-Rouquette",
    "email": "apolline.vidal@exemple.invalid",
    "phone": "06 12 34 56 78",
    "job_title": "régisseuse générale",
    "gender": "femme",
}


def _submitted(applicant, **kwargs):
    application = ApplicationFactory(
        applicant=applicant,
        submitted=True,
        need="Je veux apprendre la régie de tournée avec Apolline.",
        expected_results="Savoir monter un budget de tournée.",
        proposed_external_name="Jean Tiers",
        proposed_external_organisation="Structure Tierce",
        applicant_job_title="régisseuse générale",
        employer_signatory_name="Marc Employeur",
        employer_signatory_email="marc@exemple.invalid",
        competences=[CompetenceFactory()],
        **kwargs,
    )
    application.days = 4
    application.save()
    return application


@pytest.fixture
def person():
    user = UserFactory(roles=[Role.APPLICANT, Role.RESOURCE_PERSON], **PERSONAL)
    ResourcePersonFactory(user=user, competences=[CompetenceFactory()])
    return user


def _all_text(user_pk: int) -> str:
    """Every column of every row that could mention the person, as one string."""
    chunks = []
    for model in [Application, ApplicationEvent, EmployerApproval, User, Score]:
        chunks += [str(row) for row in model.objects.values()]
    return " ".join(chunks)


def test_erasure_removes_every_personal_field_and_keeps_statistics(
    person, django_capture_on_commit_callbacks
):
    kept = _submitted(person)
    AttachmentFactory(application=kept)
    ApplicationRevisionFactory(application=kept, data={"need": kept.need})
    MessageFactory(application=kept, body="Bonjour Apolline, précisez la période.")
    StaffNoteFactory(application=kept, body="Apolline semble motivée.")
    EmployerApprovalFactory(
        application=kept,
        signatory_name="Marc Employeur",
        signatory_email="marc.employeur@exemple.invalid",
        comment="D'accord pour Apolline.",
    )
    score = ScoreFactory(assignment__application=kept, comment="Apolline est convaincante.")
    draft = ApplicationFactory(applicant=person, need="Brouillon d'Apolline")
    draft_file = AttachmentFactory(application=draft)
    kept_file = kept.attachments.get()
    files = [Path(settings.MEDIA_ROOT) / a.file.name for a in (draft_file, kept_file)]
    assert all(path.exists() for path in files)
    person_id = person.resource_profile.pk
    assert IndexTerm.objects.filter(resource_person_id=person_id).exists()
    competence_ids = set(kept.competences.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        report = erase_account(person, actor=person, ip="192.0.2.5")

    assert report.drafts_deleted == 1 and report.applications_anonymised == 1
    assert report.files_deleted == 2 and report.resource_profile == "deleted"
    # Personal fields of the account are gone; the account cannot sign in.
    user = User.objects.get(pk=person.pk)
    assert user.email == anonymous_email(person.pk)
    assert (user.phone, user.job_title, user.gender, user.employment_status) == ("", "", "", "")
    assert not user.is_active and not user.has_usable_password()
    assert not user.role_grants.exists()
    text = _all_text(person.pk)
    for value in PERSONAL.values():
        assert value not in text
    for value in [
        "Jean Tiers",
        "Structure Tierce",
        "Marc Employeur",
        "marc.employeur@",
        "convaincante",
        "budget",
    ]:
        assert value not in text
    # Drafts, attachments (rows and files), messages, notes, revisions, the profile: deleted.
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not Attachment.objects.exists()
    assert not any(path.exists() for path in files)
    assert not Message.objects.exists() and not StaffNote.objects.exists()
    assert not ApplicationRevision.objects.exists()
    assert not ResourcePerson.objects.filter(pk=person_id).exists()
    assert not IndexTerm.objects.filter(resource_person_id=person_id).exists()
    # What statistics need remains.
    kept.refresh_from_db()
    assert kept.state == ApplicationState.SUBMITTED and kept.days == 4
    assert kept.call_id and kept.organisation_id and kept.submitted_at and kept.reference
    assert set(kept.competences.values_list("pk", flat=True)) == competence_ids
    assert kept.need == ERASED_TEXT and kept.applicant_employment_status == "salarie"
    assert kept.events.count() >= 1
    score.refresh_from_db()
    assert score.value == 3 and score.comment == ""
    # Recorded, and the person is told at their former address.
    event = AuditEvent.objects.get(action=AuditAction.ERASURE)
    assert event.object_id == str(person.pk) and event.details["by_self"] is True
    assert mail.outbox[-1].to == [PERSONAL["email"]]
    assert "effacées" in mail.outbox[-1].subject


def test_a_resource_person_with_an_agreed_transfer_keeps_an_anonymous_profile(person):
    proposal = ProposalFactory(
        resource_person=person.resource_profile, status=ProposalStatus.ACCEPTED
    )
    report = erase_account(person)
    assert report.resource_profile == "anonymised"
    profile = ResourcePerson.objects.get(pk=proposal.resource_person_id)
    assert profile.summary == "" and not profile.consent_directory
    assert not profile.accepts_matching and profile.status == "suspended"
    assert not IndexTerm.objects.filter(resource_person=profile).exists()
    assert not ResourcePerson.objects.listed().filter(pk=profile.pk).exists()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED


def test_a_resource_person_with_an_imported_transfer_keeps_an_anonymous_profile(person):
    transfer = TransferFactory(
        resource_person=person.resource_profile, source="import", import_key="ref:TR-2019-004"
    )
    report = erase_account(person)
    assert report.resource_profile == "anonymised"
    transfer.refresh_from_db()
    assert transfer.resource_person_id == person.resource_profile.pk
    assert transfer.resource_person.summary == ""
    assert transfer.resource_person.status == "suspended"


def test_the_archive_lists_the_transfers_of_both_sides(client, person):
    competence = CompetenceFactory()
    received = TransferFactory(mentee=person, reference="TR-2026-001", competences=[competence])
    given = TransferFactory(resource_person=person.resource_profile, reference="TR-2026-002")
    TransferFactory(reference="TR-2026-003")  # somebody else's
    client.force_login(person)
    data = json.loads(_archive(client.post(reverse("privacy:my_data"))).read("data.json"))
    transfers = {t["reference"]: t for t in data["transfers"]}
    assert set(transfers) == {"TR-2026-001", "TR-2026-002"}
    assert transfers["TR-2026-001"]["role"] == "mentee"
    assert transfers["TR-2026-001"]["competences"] == [
        {"code": competence.code, "label": competence.label_fr}
    ]
    assert transfers["TR-2026-002"]["role"] == "resource_person"
    assert transfers["TR-2026-002"]["amount_paid"] == "500.00"
    assert transfers["TR-2026-002"]["mentor_organisation"]["name"] == (
        given.mentor_organisation.name
    )
    assert received.mentee.email not in json.dumps(transfers["TR-2026-002"])


def test_erasure_ends_every_session(client, person):
    other = UserFactory()
    client.force_login(person)
    second = client.__class__()
    second.force_login(person)
    third = client.__class__()
    third.force_login(other)
    assert Session.objects.count() == 3
    response = client.post(reverse("privacy:erasure"), {"password": TEST_PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert "Vos données ont été effacées" in response.content.decode()
    assert Session.objects.count() == 1  # only the other person's
    for browser in (client, second):
        response = browser.get(reverse("privacy:my_data"))
        assert response.status_code == 302
    assert User.objects.get(pk=person.pk).email == anonymous_email(person.pk)


def test_erasure_needs_the_password_and_the_confirmation(client, person):
    client.force_login(person)
    url = reverse("privacy:erasure")
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": "pas-le-bon", "confirm": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Mot de passe incorrect" in body and "Cochez la case" in body
    assert 'id="error-summary"' in body and 'aria-invalid="true"' in body
    assert User.objects.get(pk=person.pk).email == PERSONAL["email"]


def test_privacy_views_need_a_session(client):
    for name in ["privacy:my_data", "privacy:erasure"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))
    assert client.post(reverse("privacy:my_data")).status_code == 302


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_download_and_erase_their_own_data(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("privacy:my_data")).status_code == 200
    assert client.get(reverse("privacy:erasure")).status_code == 200


# --------------------------------------------------------------------------------------------
# The archive (right of access)
# --------------------------------------------------------------------------------------------


def _archive(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_archive_holds_the_persons_data_and_files_only(client, person):
    mine = _submitted(person)
    AttachmentFactory(application=mine, original_name="CV Apolline.pdf")
    MessageFactory(application=mine, body="Message visible par Apolline.")
    StaffNoteFactory(application=mine, body="Note interne confidentielle.")
    reviewer = UserFactory(roles=[Role.COMMITTEE], email="membre-comite@exemple.invalid")
    assignment = ReviewAssignmentFactory(application=mine, reviewer=reviewer, declared=True)
    ScoreFactory(assignment=assignment, comment="Projet solide.")
    assignment.submitted_at = timezone.now()
    assignment.overall_comment = "Avis favorable."
    assignment.save()
    ProposalFactory(resource_person=person.resource_profile, status=ProposalStatus.PUBLISHED)
    others = ApplicationFactory(need="Le besoin de quelqu'un d'autre")
    AttachmentFactory(application=others, original_name="autre.pdf")

    client.force_login(person)
    response = client.post(reverse("privacy:my_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    archive = _archive(response)
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == PERSONAL["email"]
    assert {r["role"] for r in data["roles"]} == {Role.APPLICANT, Role.RESOURCE_PERSON}
    assert data["consents"]["consent_directory"] is True
    assert data["consents"]["consent_updated_at"]
    assert len(data["resource_person"]["competences"]) == 1
    assert data["resource_person"]["proposals"][0]["status"] == ProposalStatus.PUBLISHED
    [application] = data["applications"]
    assert application["need"].startswith("Je veux apprendre")
    assert application["messages"][0]["body"] == "Message visible par Apolline."
    review = application["committee_reviews"][0]
    assert review["overall_comment"] == "Avis favorable." and review["scores"][0]["value"] == 3
    text = archive.read("data.json").decode()
    assert "Note interne" not in text and "membre-comite" not in text
    assert "quelqu'un d'autre" not in text and "autre.pdf" not in text
    files = [name for name in archive.namelist() if name.startswith("attachments/")]
    assert files == [application["attachments"][0]["file_in_archive"]]
    assert files[0].endswith("CV Apolline.pdf")
    assert archive.read(files[0]).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditAction.DATA_DOWNLOAD, actor=person).count() == 1


def test_erasure_deletes_the_second_factor_and_the_login_attempts(person):
    from axes.models import AccessAttempt
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import TOTPDeviceFactory

    TOTPDeviceFactory(user=person)
    StaticDevice.objects.create(user=person, name="recovery")
    AccessAttempt.objects.create(
        username=person.email.lower(), ip_address="127.0.0.1", failures_since_start=2
    )
    other_attempt = AccessAttempt.objects.create(
        username="autre@example.org", ip_address="127.0.0.1", failures_since_start=1
    )
    report = erase_account(person)
    assert report.second_factor_devices_deleted == 2
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    assert list(AccessAttempt.objects.all()) == [other_attempt]
