"""Instruction services: corrections and re-submission, review, decisions, revisions, the
state machine under random sequences of every action, messages and staff notes."""

import pytest
from django.core import mail
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.applications import revisions, services, workflow
from maillage.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    ApplicationState,
    EmployerApproval,
)
from maillage.applications.workflow import TransitionError
from maillage.people.models import EmploymentStatus, Role
from tests.factories import UserFactory

from .conftest import ready_application

pytestmark = pytest.mark.django_db


def submitted_application(status=EmploymentStatus.LEADER, **kwargs):
    application = ready_application(status, **kwargs)
    services.submit(application, application.applicant)
    application.refresh_from_db()
    return application


@pytest.fixture
def coordinator():
    return UserFactory(roles=[Role.COORDINATOR], first_name="Claire", last_name="Coord")


def test_submission_stores_revision_one_and_the_eligibility_flag():
    application = submitted_application()
    revision = ApplicationRevision.objects.get(application=application)
    assert revision.number == 1
    assert revision.data["need"] == application.need
    assert len(revision.data["competences"]) == 2
    assert application.eligible_at_submission is True


def test_completion_round_trip_keeps_every_revision(
    coordinator, django_capture_on_commit_callbacks
):
    application = submitted_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_completion(
            application, reason="Précisez les résultats attendus.", actor=coordinator
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.TO_COMPLETE
    event = application.events.order_by("-pk").first()
    assert (event.actor, event.from_state, event.note) == (
        coordinator,
        "submitted",
        "Précisez les résultats attendus.",
    )
    sent = [m for m in mail.outbox if "à compléter" in m.subject]
    assert sent and sent[0].to == [application.applicant.email]
    assert "Précisez les résultats attendus." in sent[0].body
    # The applicant edits through the step services, then re-submits.
    services.save_need(application, {"expected_results": "Un budget de tournée autonome."})
    services.resubmit(application, actor=application.applicant)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    numbers = list(application.revisions.values_list("number", flat=True))
    assert numbers == [1, 2]
    first, second = application.revisions.order_by("number")
    changes = revisions.compare(first.data, second.data)
    assert [c.key for c in changes] == ["expected_results"]
    assert any(p.kind == "insert" for p in changes[0].pieces)


def test_completion_needs_a_reason(coordinator):
    application = submitted_application()
    with pytest.raises(services.ApplicationError):
        services.request_completion(application, reason="  ", actor=coordinator)


def test_submitted_and_decided_applications_are_read_only_for_the_applicant(coordinator):
    application = submitted_application()
    with pytest.raises(services.NotEditableError):
        services.save_need(application, {"need": "autre"})
    services.start_review(application, actor=coordinator)
    services.decide(application, outcome="refused", motivation="Hors champ.", actor=coordinator)
    application.refresh_from_db()
    with pytest.raises(services.NotEditableError):
        services.save_need(application, {"need": "autre"})
    assert application.decision_motivation == "Hors champ."
    assert application.decided_at is not None


def test_decisions_follow_the_table(coordinator):
    application = submitted_application()
    with pytest.raises(TransitionError):
        services.decide(application, outcome="accepted", motivation="", actor=coordinator)
    services.start_review(application, actor=coordinator)
    services.decide(application, outcome="waitlisted", motivation="Budget.", actor=coordinator)
    with pytest.raises(TransitionError):
        services.decide(application, outcome="waitlisted", motivation="", actor=coordinator)
    services.decide(application, outcome="accepted", motivation="Désistement.", actor=coordinator)
    application.refresh_from_db()
    assert application.state == "accepted"
    with pytest.raises(TransitionError):
        services.decide(application, outcome="refused", motivation="", actor=coordinator)
    with pytest.raises(TransitionError):
        services.decide(application, outcome="nonsense", motivation="", actor=coordinator)
    states = list(application.events.values_list("to_state", flat=True))
    assert states[-3:] == ["under_review", "waitlisted", "accepted"]


def test_a_draft_application_cannot_be_sent_back_or_reviewed(coordinator):
    application = ready_application(EmploymentStatus.LEADER)
    with pytest.raises(TransitionError):
        services.start_review(application, actor=coordinator)
    with pytest.raises(TransitionError):
        services.request_completion(application, reason="x", actor=coordinator)


def test_an_incomplete_completion_is_not_resubmitted(coordinator):
    application = submitted_application()
    services.request_completion(application, reason="Compétences", actor=coordinator)
    application.competences.clear()
    with pytest.raises(TransitionError) as error:
        services.resubmit(application, actor=application.applicant)
    assert error.value.code == "incomplete"


def test_messages_are_mailed_to_the_other_side(coordinator, django_capture_on_commit_callbacks):
    application = submitted_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_staff_message(
            application, body="Une question.", author=coordinator, absolute=lambda p: "http://t" + p
        )
        services.send_applicant_message(
            application,
            body="Ma réponse.",
            author=application.applicant,
            absolute=lambda p: "http://t" + p,
        )
    to_applicant = [m for m in mail.outbox if m.to == [application.applicant.email]]
    to_staff = [m for m in mail.outbox if m.to == ["coordination@maillage.invalid"]]
    assert any("Une question." in m.body for m in to_applicant)
    assert to_staff and "Ma réponse." in to_staff[0].body
    assert application.messages.get(from_staff=True).read_at is not None


# --------------------------------------------------------------------------------------------
# Random sequences of every action, through the real services
# --------------------------------------------------------------------------------------------

ACTIONS = [
    "request",
    "approve",
    "refuse",
    "reopen",
    "submit",
    "complete",
    "resubmit",
    "review",
    "accepted",
    "waitlisted",
    "refused",
    "no_follow_up",
]


class Rollback(Exception):
    pass


def act(application, action, counter, coordinator):
    user = application.applicant
    absolute = "http://testserver{}".format
    if action == "request":
        services.request_employer_approval(application, user, absolute)
    elif action == "reopen":
        services.reopen(application, user)
    elif action == "submit":
        services.submit(application, user)
    elif action == "complete":
        services.request_completion(application, reason="Précisez.", actor=coordinator)
    elif action == "resubmit":
        services.resubmit(application, actor=user)
    elif action == "review":
        services.start_review(application, actor=coordinator)
    elif action in workflow.DECISION_ACTIONS:
        services.decide(application, outcome=action, motivation="Motif.", actor=coordinator)
    else:
        approval = (
            EmployerApproval.objects.filter(application=application, invalidated_at__isnull=True)
            .order_by("-sent_at", "-pk")
            .first()
        )
        if approval is None:
            return
        token = f"jeton-{counter}"
        approval.token_hash = services.hash_token(token)
        approval.save(update_fields=["token_hash"])
        services.decide_employer_approval(
            token, approve=action == "approve", comment="", ip_address=None, absolute=absolute
        )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.sampled_from([EmploymentStatus.EMPLOYEE, EmploymentStatus.LEADER]),
    actions=st.lists(st.sampled_from(ACTIONS), max_size=10),
)
def test_no_sequence_of_actions_reaches_an_illegal_state(status, actions):
    try:
        with transaction.atomic():
            coordinator = UserFactory(roles=[Role.COORDINATOR])
            application = ready_application(status)
            for counter, action in enumerate(actions):
                before = Application.objects.get(pk=application.pk).state
                last_event = ApplicationEvent.objects.filter(application=application).count()
                try:
                    with transaction.atomic():
                        act(application, action, counter, coordinator)
                except (TransitionError, services.ApplicationError):
                    # An illegal move changes nothing.
                    assert Application.objects.get(pk=application.pk).state == before
                    continue
                application.refresh_from_db()
                assert application.state in workflow.STATES
                for event in ApplicationEvent.objects.filter(application=application)[last_event:]:
                    if event.from_state != event.to_state or event.from_state == "":
                        assert any(
                            (event.from_state, a) in workflow.TRANSITIONS
                            and workflow.TRANSITIONS[(event.from_state, a)] == event.to_state
                            for a in workflow.Action
                        ), (event.from_state, event.to_state)
                if before in (workflow.ACCEPTED, workflow.REFUSED, workflow.NO_FOLLOW_UP):
                    assert application.state == before
                if application.state not in (workflow.DRAFT, workflow.AWAITING_EMPLOYER):
                    assert application.reference and application.submitted_at
                if application.state in workflow.DECIDED:
                    assert application.decided_at is not None
            raise Rollback
    except Rollback:
        pass
