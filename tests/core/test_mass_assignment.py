"""Mass assignment: fields a form does not offer are ignored, whatever a crafted POST adds.

Each test posts a valid form plus the fields an attacker would try (state, reference,
applicant, owner, someone else's organisation, staff flags, roles, scores, validation and
decision fields, ids of other people's rows) and checks that the legitimate change happened
and nothing else did. Views build their writes from ``form.cleaned_data`` field by field, and
services take explicit arguments: no ``fields="__all__"``, no copy of ``request.POST``.
"""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.applications.models import Application, ApplicationState, Message
from maillage.pairing.models import ProposalStatus
from maillage.people.models import ResourcePerson, Role, User, ValidationStatus
from maillage.review.models import (
    CommitteeSession,
    ConflictDeclaration,
    Criterion,
    DecisionEmailTemplate,
    Score,
)
from tests.applications.conftest import ready_application
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CompetenceFactory,
    EmployerApprovalFactory,
    MentorInvitationFactory,
    OrganisationFactory,
    ProposalFactory,
    ResourcePersonFactory,
    ReviewAssignmentFactory,
    ScoringGridFactory,
    SessionItemFactory,
    UserFactory,
)
from tests.people.helpers import STRONG_PASSWORD, profile_data, signup_data

pytestmark = pytest.mark.django_db

PIRATE_DATE = "2001-01-01T00:00:00Z"


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    obj.refresh_from_db()
    return {name: getattr(obj, name) for name in fields}


def account_flags() -> dict[str, Any]:
    """What a person must never set on their own account."""
    return {
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "on",
        "roles": [Role.ADMIN, Role.COORDINATOR],
        "role": Role.ADMIN,
        "role_grants": Role.ADMIN,
        "groups": "1",
        "user_permissions": "1",
        "session_epoch": "99",
        "date_joined": PIRATE_DATE,
        "password": "pirate",
        "last_login": PIRATE_DATE,
    }


def application_fields(other: Application) -> dict[str, Any]:
    """What an applicant must never set on an application."""
    return {
        "state": ApplicationState.ACCEPTED,
        "reference": "TSF-PIRATE-0001",
        "applicant": other.applicant_id,
        "owner": other.applicant_id,
        "call": other.call_id,
        "submitted_at": PIRATE_DATE,
        "eligible_at_submission": "on",
        "eligibility_snapshot": "[]",
        "decision_motivation": "Acceptée d'office",
        "decided_at": PIRATE_DATE,
        "employer_approved_at": PIRATE_DATE,
        "version": "999",
        "last_edited_by": other.applicant_id,
        "score": "20",
        "decision": "accepted",
        "id": other.pk,
        "pk": other.pk,
    }


PROTECTED_APPLICATION_FIELDS = (
    "state",
    "reference",
    "applicant_id",
    "call_id",
    "submitted_at",
    "eligible_at_submission",
    "eligibility_snapshot",
    "decision_motivation",
    "decided_at",
    "employer_approved_at",
)


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------


def test_sign_up_grants_only_the_chosen_role_and_no_flag(client):
    stranger = OrganisationFactory()
    response = client.post(
        reverse("people:signup"),
        {**signup_data(intent="applicant"), **account_flags(), "organisation": stranger.pk},
    )
    assert response.status_code == 302
    user = User.objects.get(email="awa.diallo@exemple.invalid")
    assert user.roles == {Role.APPLICANT}
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.organisation is None and getattr(user, "session_epoch", 0) == 0
    assert user.date_joined.date() == timezone.localdate()
    assert user.check_password(STRONG_PASSWORD)


def test_sign_up_with_a_forged_intent_creates_nothing(client):
    for intent in ("admin", "coordinator", "committee"):
        response = client.post(reverse("people:signup"), signup_data(intent=intent))
        assert response.status_code == 200
    assert not User.objects.filter(email="awa.diallo@exemple.invalid").exists()


def test_the_account_page_changes_the_identity_only(client):
    user = UserFactory(roles=[Role.APPLICANT], email="lea@exemple.invalid")
    others = OrganisationFactory()
    before = snapshot(user, "email", "organisation_id", "password", "date_joined")
    client.force_login(user)
    response = client.post(
        reverse("people:account"),
        {
            "first_name": "Léa",
            "last_name": "Martin",
            "phone": "",
            "job_title": "Chargée de production",
            "employment_status": "salarie",
            "gender": "femme",
            "mode": "keep",
            # "keep" ignores a structure id; the e-mail is not editable here.
            "organisation": others.pk,
            "email": "pirate@exemple.invalid",
            **account_flags(),
        },
    )
    assert response.status_code == 302
    assert snapshot(user, *before) == before
    user.__dict__.pop("roles", None)
    assert (user.first_name, user.roles, user.is_staff, user.is_superuser) == (
        "Léa",
        {Role.APPLICANT},
        False,
        False,
    )


def test_creating_a_structure_never_rewrites_an_existing_one(client):
    user = UserFactory(roles=[Role.APPLICANT], organisation=None)
    existing = OrganisationFactory(name="Structure d'autrui", federation_member=False)
    before = snapshot(existing, "name", "siret", "commune_id", "federation_member")
    client.force_login(user)
    response = client.post(
        reverse("people:account"),
        {
            "first_name": "Léa",
            "last_name": "Martin",
            "job_title": "Chargée de production",
            "employment_status": "salarie",
            "gender": "femme",
            "mode": "create",
            "org-name": "Ma nouvelle structure",
            "org-legal_form": "association",
            "org-activities": ["salle"],
            "org-postal_code": "31000",
            "org-commune": "31555",
            # Someone else's structure named by id, in every spelling a handler could read.
            "org-id": existing.pk,
            "org-pk": existing.pk,
            "organisation": existing.pk,
            "org-people": user.pk,
        },
    )
    assert response.status_code == 302
    assert snapshot(existing, *before) == before
    user.refresh_from_db()
    assert user.organisation.name == "Ma nouvelle structure"
    assert user.organisation_id != existing.pk


def test_a_resource_person_cannot_validate_their_own_profile(client):
    person = ResourcePersonFactory(pending=True, consent_show_name=False)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    client.force_login(person.user)
    response = client.post(
        reverse("people:profile"),
        {
            **profile_data([CompetenceFactory()], organisation_pk=None),
            "mode": "keep",
            "status": ValidationStatus.VALIDATED,
            "validated_at": PIRATE_DATE,
            "validated_by": coordinator.pk,
            "user": coordinator.pk,
            "consent_directory": "on",
            "consent_show_name": "on",
            **account_flags(),
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.status, person.validated_at, person.validated_by_id) == (
        ValidationStatus.PENDING,
        None,
        None,
    )
    assert person.user_id != coordinator.pk
    assert (person.consent_directory, person.consent_show_name) == (False, False)
    assert person.years_of_experience == 15  # the legitimate answer was saved
    person.user.__dict__.pop("roles", None)
    assert person.user.roles == {Role.RESOURCE_PERSON} and not person.user.is_staff


def test_the_consent_page_changes_consents_only(client):
    person = ResourcePersonFactory(suspended=True, consent_show_job=True)
    other = UserFactory()
    client.force_login(person.user)
    response = client.post(
        reverse("people:consents"),
        {
            "consent_directory": "on",
            "status": ValidationStatus.VALIDATED,
            "validated_at": PIRATE_DATE,
            "user": other.pk,
            "years_of_experience": "60",
            "summary": "Texte forcé",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.status, person.user_id, person.years_of_experience) == (
        ValidationStatus.SUSPENDED,
        person.user.pk,
        12,
    )
    assert person.consent_show_job is False and person.consent_directory is True


def test_an_invitation_grants_the_resource_person_role_only(client):
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    response = client.post(
        reverse("people:resource_person_invite"),
        {
            "first_name": "Inès",
            "last_name": "Invitée",
            "email": "ines@exemple.invalid",
            "mode": "keep",
            **account_flags(),
        },
    )
    assert response.status_code == 302
    invited = User.objects.get(email="ines@exemple.invalid")
    assert invited.roles == {Role.RESOURCE_PERSON}
    assert not invited.is_staff and not invited.is_superuser


def test_a_suspension_sets_the_suspended_status_whatever_is_posted(client):
    person = ResourcePersonFactory()
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    client.post(
        reverse("people:resource_person_suspend", args=[person.pk]),
        {"reason": "Profil à revoir.", "status": ValidationStatus.VALIDATED, "user": "1"},
    )
    person.refresh_from_db()
    assert person.status == ValidationStatus.SUSPENDED


# --------------------------------------------------------------------------------------------
# Applications: the applicant's steps
# --------------------------------------------------------------------------------------------


def test_starting_an_application_makes_it_the_applicants_own_draft(client):
    user = UserFactory(roles=[Role.APPLICANT])
    other = ApplicationFactory(submitted=True)
    call = CallFactory()
    client.force_login(user)
    response = client.post(
        reverse("applications:start", args=[call.slug]),
        {**application_fields(other), "organisation": OrganisationFactory().pk},
    )
    assert response.status_code == 302
    created = Application.objects.get(applicant=user)
    assert (created.call_id, created.state, created.reference) == (
        call.pk,
        ApplicationState.DRAFT,
        None,
    )
    assert created.organisation_id == user.organisation_id
    assert snapshot(other, "applicant_id", "state") == {
        "applicant_id": other.applicant_id,
        "state": ApplicationState.SUBMITTED,
    }


def _step_payloads(application: Application) -> dict[int, dict[str, Any]]:
    start = timezone.localdate() + datetime.timedelta(days=30)
    return {
        1: {
            "first_name": "Awa",
            "last_name": "Diallo",
            "phone": "",
            "job_title": "Régisseuse",
            "employment_status": "dirigeant",
            "email": "pirate@exemple.invalid",
            **account_flags(),
        },
        2: {"organisation": application.organisation_id},
        3: {
            "need": "Structurer la régie générale du festival et ses plannings.",
            "expected_results": "Des plannings partagés.",
            "competences": [c.pk for c in application.competences.all()],
        },
        4: {
            "formats": ["immersion"],
            "desired_start": start.isoformat(),
            "desired_end": (start + datetime.timedelta(days=30)).isoformat(),
            "days": "2",
        },
        5: {"proposed_resource_person": "", "proposed_external_name": ""},
        6: {},
        7: {"employer_signatory_name": "", "employer_signatory_email": ""},
    }


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 6, 7])
def test_each_step_ignores_fields_it_does_not_offer(client, step):
    application = ready_application(status="dirigeant")
    other = ApplicationFactory(submitted=True)
    before = snapshot(application, *PROTECTED_APPLICATION_FIELDS, "organisation_id")
    user_before = snapshot(application.applicant, "email", "is_staff", "is_superuser", "password")
    other_before = snapshot(other, *PROTECTED_APPLICATION_FIELDS, "need")
    client.force_login(application.applicant)
    payload = {**application_fields(other), **_step_payloads(application)[step], "action": "save"}
    response = client.post(reverse("applications:step", args=[application.pk, step]), payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert snapshot(application, *before) == before
    assert snapshot(application.applicant, *user_before) == user_before
    assert application.applicant.roles == {Role.APPLICANT}
    assert snapshot(other, *other_before) == other_before


def test_submitting_takes_state_reference_and_dates_from_the_server(
    client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    application = ready_application(status="dirigeant")
    other = ApplicationFactory(submitted=True)
    client.force_login(application.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:step", args=[application.pk, 8]),
            {"attestation": "on", **application_fields(other)},
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.reference and application.reference != "TSF-PIRATE-0001"
    assert application.submitted_at.date() == timezone.localdate()
    assert (application.decision_motivation, application.decided_at) == ("", None)
    assert application.applicant_id != other.applicant_id


def test_an_applicants_message_is_theirs_and_never_from_the_coordination(client):
    application = ApplicationFactory(applicant=UserFactory(roles=[Role.APPLICANT]), submitted=True)
    other = ApplicationFactory(submitted=True)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    client.force_login(application.applicant)
    client.post(
        reverse("applications:message", args=[application.pk]),
        {
            "body": "Une question sur les dates.",
            "from_staff": "on",
            "author": coordinator.pk,
            "application": other.pk,
            "read_at": PIRATE_DATE,
        },
    )
    message = Message.objects.get()
    assert (message.application_id, message.author_id, message.from_staff, message.read_at) == (
        application.pk,
        application.applicant_id,
        False,
        None,
    )


def test_the_employers_answer_changes_its_own_request_only(client):
    approval = EmployerApprovalFactory(token="jeton-employeur-mass-assignment-0123456789abcdef")
    other = ApplicationFactory(submitted=True)
    client.post(
        reverse(
            "applications:employer_approval",
            args=["jeton-employeur-mass-assignment-0123456789abcdef"],
        ),
        {
            "decision": "approve",
            "comment": "",
            "application": other.pk,
            "signatory_email": "pirate@exemple.invalid",
            "decided_at": PIRATE_DATE,
            "ip_address": "203.0.113.66",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    approval.refresh_from_db()
    assert approval.application_id != other.pk
    assert approval.signatory_email != "pirate@exemple.invalid"
    assert approval.ip_address == "198.51.100.7"
    assert approval.decided_at.date() == timezone.localdate()


# --------------------------------------------------------------------------------------------
# Applications: the back office
# --------------------------------------------------------------------------------------------


def test_the_back_office_corrections_touch_the_correctable_fields_only(client):
    competence = CompetenceFactory()
    application = ApplicationFactory(submitted=True, days=2, competences=[competence])
    other = ApplicationFactory(submitted=True)
    before = snapshot(application, *PROTECTED_APPLICATION_FIELDS, "need", "organisation_id")
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    response = client.post(
        reverse("backoffice:edit", args=[application.pk]),
        {
            **application_fields(other),
            "version": str(application.version),
            "days": "3",
            "competences": [competence.pk],
            "need": "Besoin réécrit",
            "organisation": OrganisationFactory().pk,
        },
    )
    assert response.status_code == 302
    assert snapshot(application, *before) == before
    assert application.days == 3


def test_closing_without_follow_up_decides_that_outcome_only(client):
    application = ApplicationFactory(submitted=True)
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    client.post(
        reverse("backoffice:close", args=[application.pk]),
        {"motivation": "Hors champ.", "outcome": "accepted", "state": "accepted"},
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.NO_FOLLOW_UP


# --------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------


def test_a_review_scores_its_own_grid_for_its_own_assignment(client):
    grid = ScoringGridFactory()
    assignment = ReviewAssignmentFactory(application__call=grid.call, declared=True)
    other_grid = ScoringGridFactory()
    foreign = other_grid.criteria.first()
    other_assignment = ReviewAssignmentFactory(application__call=grid.call, declared=True)
    criteria = list(grid.criteria.all())
    client.force_login(assignment.reviewer)
    response = client.post(
        reverse("review:review", args=[assignment.pk]),
        {
            **{f"score_{c.pk}": "3" for c in criteria},
            "overall_comment": "Solide.",
            f"score_{foreign.pk}": "20",
            "reviewer": other_assignment.reviewer_id,
            "application": other_assignment.application_id,
            "assignment": other_assignment.pk,
            "submitted_at": PIRATE_DATE,
            "score": "20",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.submitted_at is None  # saved as a draft: "submit" was not posted
    assert set(Score.objects.values_list("assignment_id", "criterion_id", "value")) == {
        (assignment.pk, c.pk, 3) for c in criteria
    }
    assert snapshot(other_assignment, "reviewer_id", "overall_comment") == {
        "reviewer_id": other_assignment.reviewer_id,
        "overall_comment": "",
    }


def test_a_conflict_declaration_belongs_to_the_members_own_assignment(client):
    assignment = ReviewAssignmentFactory()
    other = ReviewAssignmentFactory()
    client.force_login(assignment.reviewer)
    client.post(
        reverse("review:declare", args=[assignment.pk]),
        {"kind": "none", "assignment": other.pk, "reviewer": other.reviewer_id},
    )
    assert ConflictDeclaration.objects.filter(assignment=assignment, kind="none").exists()
    assert not ConflictDeclaration.objects.filter(assignment=other).exists()


def test_a_grid_is_saved_on_its_own_call(client):
    call, other_call = CallFactory(), CallFactory()
    other_grid = ScoringGridFactory(call=other_call)
    other_before = list(other_grid.criteria.values_list("pk", "label", "weight"))
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    response = client.post(
        reverse("review:grid", args=[call.pk]),
        {
            "criteres-TOTAL_FORMS": "1",
            "criteres-INITIAL_FORMS": "0",
            "criteres-MIN_NUM_FORMS": "0",
            "criteres-MAX_NUM_FORMS": "12",
            "criteres-0-label": "Clarté",
            "criteres-0-description": "",
            "criteres-0-weight": "1",
            "criteres-0-scale_max": "5",
            "criteres-0-id": other_grid.criteria.first().pk,
            "criteres-0-grid": other_grid.pk,
            "call": other_call.pk,
            "grid": other_grid.pk,
        },
    )
    assert response.status_code == 302
    assert list(other_grid.criteria.values_list("pk", "label", "weight")) == other_before
    assert list(Criterion.objects.filter(grid__call=call).values_list("label", "weight")) == [
        ("Clarté", Decimal("1.00"))
    ]


def test_a_session_is_created_open_on_its_own_call_by_its_author(client):
    call, other_call = CallFactory(), CallFactory()
    other = UserFactory(roles=[Role.COORDINATOR])
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    client.force_login(coordinator)
    client.post(
        reverse("review:session_create", args=[call.pk]),
        {
            "title": "Comité de printemps",
            "date": "2026-04-02",
            "call": other_call.pk,
            "locked_at": PIRATE_DATE,
            "locked_by": other.pk,
            "over_envelope_confirmed": "on",
            "created_by": other.pk,
        },
    )
    session = CommitteeSession.objects.get()
    assert (session.call_id, session.locked_at, session.over_envelope_confirmed) == (
        call.pk,
        None,
        False,
    )
    assert session.created_by_id == coordinator.pk


def test_decisions_apply_to_the_sessions_own_items_only(client):
    item = SessionItemFactory()
    elsewhere = SessionItemFactory()
    other_call_application = ApplicationFactory(submitted=True)
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    session = item.session
    client.post(
        reverse("review:session_decisions", args=[session.pk]),
        {
            f"decision_{item.pk}": "waitlisted",
            f"decision_{elsewhere.pk}": "accepted",
            f"motivation_{elsewhere.pk}": "Forcé",
            "locked_at": PIRATE_DATE,
        },
    )
    client.post(
        reverse("review:session_add", args=[session.pk]),
        {"choisies": "1", "applications": [other_call_application.pk]},
    )
    item.refresh_from_db()
    elsewhere.refresh_from_db()
    session.refresh_from_db()
    assert item.decision == "waitlisted"
    assert (elsewhere.decision, elsewhere.motivation) == ("", "")
    assert session.locked_at is None
    assert not session.items.filter(application=other_call_application).exists()


def test_a_decision_template_is_saved_for_its_own_outcome_and_author(client):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    client.force_login(coordinator)
    refused_before = snapshot(DecisionEmailTemplate.objects.get(outcome="refused"), "subject")
    client.post(
        reverse("review:email_template", args=["accepted"]),
        {
            "subject": "Votre candidature est acceptée",
            "body": "Bonjour,\n\nBonne nouvelle.",
            "outcome": "refused",
            "updated_by": UserFactory().pk,
        },
    )
    template = DecisionEmailTemplate.objects.get(outcome="accepted")
    assert (template.subject, template.updated_by_id) == (
        "Votre candidature est acceptée",
        coordinator.pk,
    )
    assert snapshot(DecisionEmailTemplate.objects.get(outcome="refused"), "subject") == (
        refused_before
    )


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def test_an_answer_changes_the_invited_proposal_only(client):
    token = "jeton-invitation-mass-assignment-0123456789abcdefgh"
    invitation = MentorInvitationFactory(token=token)
    proposal = invitation.proposal
    other = ProposalFactory()
    other_person = ResourcePersonFactory()
    client.post(
        reverse("pairing_public:answer", args=[token]),
        {
            "decision": "accept",
            "comment": "",
            "resource_person": other_person.pk,
            "application": other.application_id,
            "proposal": other.pk,
            "status": ProposalStatus.ACCEPTED,
            "rank": "0",
            "score": "1000",
        },
    )
    proposal.refresh_from_db()
    other.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.resource_person_id != other_person.pk and proposal.score == 80.0
    assert other.status == ProposalStatus.PROPOSED


def test_a_resource_person_answers_their_own_proposal_only(client):
    proposal = ProposalFactory(status=ProposalStatus.PUBLISHED, published_at=timezone.now())
    other = ProposalFactory(status=ProposalStatus.PUBLISHED, published_at=timezone.now())
    client.force_login(proposal.resource_person.user)
    client.post(
        reverse("pairing_public:my_proposal", args=[proposal.pk]),
        {"decision": "decline", "comment": "Trop loin", "proposal": other.pk, "pk": other.pk},
    )
    proposal.refresh_from_db()
    other.refresh_from_db()
    assert (proposal.status, other.status) == (ProposalStatus.DECLINED, ProposalStatus.PUBLISHED)


def test_matching_weights_are_saved_on_the_programme_of_the_url(client):
    call = CallFactory()
    other_programme_call = CallFactory(programme__slug="autre-programme")
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    from maillage.pairing.models import MatchingSettings

    weights = dict.fromkeys(MatchingSettings.WEIGHT_FIELDS, "7")
    response = client.post(
        reverse("pairing:settings", args=[call.programme_id]),
        {**weights, "programme": other_programme_call.programme_id, "updated_at": PIRATE_DATE},
    )
    assert response.status_code == 302
    assert list(MatchingSettings.objects.values_list("programme_id", flat=True)) == [
        call.programme_id
    ]


def test_no_form_view_reads_every_field_of_a_model():
    """A structural guard: no ModelForm with ``fields = "__all__"`` or an ``exclude`` list."""
    from pathlib import Path

    import maillage

    offenders = [
        str(path)
        for path in Path(maillage.__file__).parent.rglob("*.py")
        if "migrations" not in path.parts
        and ('"__all__"' in (text := path.read_text()) or "exclude = [" in text)
        and "class Meta" in text
    ]
    assert offenders == []


def test_resource_person_profile_is_never_created_for_someone_else(client):
    user = UserFactory(roles=[Role.RESOURCE_PERSON])
    victim = UserFactory(roles=[Role.RESOURCE_PERSON])
    client.force_login(user)
    client.post(
        reverse("people:profile"),
        {**profile_data([CompetenceFactory()], organisation_pk=None), "user": victim.pk},
    )
    assert ResourcePerson.objects.filter(user=user).exists()
    assert not ResourcePerson.objects.filter(user=victim).exists()
