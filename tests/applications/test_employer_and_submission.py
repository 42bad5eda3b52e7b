"""The employer's agreement by one-time link, submission, reference, receipt and history."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.applications import services
from maillage.applications.models import (
    Application,
    ApplicationState,
    EmployerApproval,
    EmployerDecision,
)
from maillage.applications.workflow import TransitionError
from maillage.people.models import EmploymentStatus
from tests.factories import ApplicationFactory, OrganisationFactory, ResourcePersonFactory

from .conftest import ready_application

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/candidatures/accord-employeur/(\S+)/")


def absolute(path):
    return "http://testserver" + path


def request_approval(client, application, mailoutbox, capture):
    client.force_login(application.applicant)
    with capture(execute=True):
        response = client.post(
            reverse("applications:step", args=[application.pk, 7]),
            {
                "employer_signatory_name": "Camille Directrice",
                "employer_signatory_email": "direction@exemple.invalid",
                "action": "request",
            },
        )
    assert response.status_code == 302
    message = mailoutbox[-1]
    assert message.to == ["direction@exemple.invalid"]
    return LINK.search(message.body).group(1)


def test_employee_journey_request_approve_then_submit(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    application = ready_application()
    token = request_approval(client, application, mailoutbox, django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.state == ApplicationState.AWAITING_EMPLOYER
    assert "Accord demandé" in mailoutbox[-1].subject
    # Only a hash is stored.
    approval = EmployerApproval.objects.get(application=application)
    assert approval.token_hash != token and len(approval.token_hash) == 64
    # Still not submittable.
    with pytest.raises(TransitionError) as error:
        services.submit(application, application.applicant)
    assert error.value.code == "approval_pending"

    client.logout()
    url = reverse("applications:employer_approval", args=[token])
    page = client.get(url).content.decode()
    assert application.applicant.full_name in page and application.call.title in page
    assert "Approuver" in page and "Refuser" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"decision": "approve", "comment": "Bon projet."})
    assert "Vous avez donné votre accord" in done.content.decode()
    assert "vous pouvez déposer" in mailoutbox[-1].subject
    assert mailoutbox[-1].to == [application.applicant.email]
    again = client.get(url)
    assert again.status_code == 410 and "déjà été utilisé" in again.content.decode()
    assert client.post(url, {"decision": "refuse"}).status_code == 410

    application.refresh_from_db()
    assert application.state == ApplicationState.AWAITING_EMPLOYER
    assert application.employer_approved_at is not None
    client.force_login(application.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:step", args=[application.pk, 8]), {"attestation": "on"}
        )
        # A double click: one submission only, the second lands on the page.
        second = client.post(
            reverse("applications:step", args=[application.pk, 8]), {"attestation": "on"}
        )
    assert response.url == second.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert re.fullmatch(rf"TSF-{timezone.localdate().year}-\d{{4}}", application.reference)
    assert [rule["passed"] for rule in application.eligibility_snapshot] == [True] * 7
    receipts = [m for m in mailoutbox if m.attachments]
    assert len(receipts) == 1
    filename, content, mimetype = receipts[0].attachments[0]
    assert filename == f"recepisse-{application.reference}.pdf" and content.startswith(b"%PDF-")
    assert application.reference in receipts[0].subject
    history = [(e.from_state, e.to_state) for e in application.events.order_by("at", "pk")]
    assert history == [
        ("", "draft"),
        ("draft", "awaiting_employer"),
        ("awaiting_employer", "awaiting_employer"),
        ("awaiting_employer", "submitted"),
    ]
    assert "Bon projet." in application.events.order_by("at", "pk")[2].note
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Accord de l&#x27;employeur donné par Camille Directrice" in page
    assert "Télécharger le récépissé" in page


def test_refusal_returns_to_draft_with_the_reason_and_tells_the_applicant(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    application = ready_application()
    token = request_approval(client, application, mailoutbox, django_capture_on_commit_callbacks)
    client.logout()
    url = reverse("applications:employer_approval", args=[token])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"decision": "refuse", "comment": "Pas cette saison."})
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    last = application.events.order_by("at", "pk").last()
    assert (last.from_state, last.to_state) == ("awaiting_employer", "draft")
    assert "Pas cette saison." in last.note
    assert "n'a pas donné son accord" in mailoutbox[-1].subject
    assert "Pas cette saison." in mailoutbox[-1].body
    client.force_login(application.applicant)
    summary = client.get(reverse("applications:step", args=[application.pk, 8])).content.decode()
    assert "Votre employeur a refusé" in summary


def test_resending_invalidates_the_previous_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    application = ready_application()
    old = request_approval(client, application, mailoutbox, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:step", args=[application.pk, 7]), {"action": "resend"})
    new = LINK.search(mailoutbox[-1].body).group(1)
    assert new != old
    client.logout()
    stale = client.get(reverse("applications:employer_approval", args=[old]))
    assert stale.status_code == 410 and "plus valable" in stale.content.decode()
    assert client.get(reverse("applications:employer_approval", args=[new])).status_code == 200


def test_an_expired_link_is_refused(client, mailoutbox, django_capture_on_commit_callbacks):
    application = ready_application()
    token = request_approval(client, application, mailoutbox, django_capture_on_commit_callbacks)
    EmployerApproval.objects.update(
        sent_at=timezone.now() - datetime.timedelta(days=31),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    client.logout()
    url = reverse("applications:employer_approval", args=[token])
    assert "a expiré" in client.get(url).content.decode()
    client.post(url, {"decision": "approve"})
    application.refresh_from_db()
    assert application.employer_approved_at is None


def test_reopening_cancels_the_request_and_edits_are_locked_meanwhile(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    application = ready_application()
    token = request_approval(client, application, mailoutbox, django_capture_on_commit_callbacks)
    locked = client.post(
        reverse("applications:step", args=[application.pk, 3]), {"need": "changé", "action": "save"}
    )
    assert locked.status_code == 302
    application.refresh_from_db()
    assert application.need != "changé"
    client.post(reverse("applications:reopen", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    client.logout()
    assert client.get(reverse("applications:employer_approval", args=[token])).status_code == 410


def test_requesting_approval_needs_a_complete_application(client, mailoutbox):
    application = ApplicationFactory(
        applicant__roles=["applicant"], applicant__employment_status=EmploymentStatus.EMPLOYEE
    )  # no competences: incomplete
    client.force_login(application.applicant)
    response = client.post(
        reverse("applications:step", args=[application.pk, 7]),
        {
            "employer_signatory_name": "Camille Directrice",
            "employer_signatory_email": "direction@exemple.invalid",
            "action": "request",
        },
    )
    page = response.content.decode()
    assert "Choisissez de 1 à 3 compétences visées." in page
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert application.employer_signatory_name == "Camille Directrice"  # saved anyway
    assert mailoutbox == []


def test_illegal_transitions_raise_clear_errors():
    leader = ready_application(EmploymentStatus.LEADER)
    with pytest.raises(TransitionError) as error:
        services.request_employer_approval(leader, leader.applicant, absolute)
    assert error.value.code == "not_employee"
    employee = ready_application()
    with pytest.raises(TransitionError) as error:
        services.submit(employee, employee.applicant)
    assert error.value.code == "approval_needed"
    with pytest.raises(TransitionError):
        services.reopen(employee, employee.applicant)
    colleague = ResourcePersonFactory(user__organisation=employee.organisation)
    leader.proposed_resource_person = ResourcePersonFactory(user__organisation=leader.organisation)
    leader.save()
    with pytest.raises(TransitionError) as error:
        services.submit(leader, leader.applicant)
    assert error.value.code == "not_eligible"
    assert colleague.pk


def test_eligibility_outside_the_region_or_sector(client):
    outside = OrganisationFactory(
        commune__insee_code="75056",
        commune__name="Paris",
        commune__departement__code="75",
        commune__departement__name="Paris",
        commune__departement__region_code="11",
        activities=["collectivite"],
    )
    application = ready_application(EmploymentStatus.LEADER, organisation=outside)
    client.force_login(application.applicant)
    page = client.get(reverse("applications:step", args=[application.pk, 8])).content.decode()
    assert "n&#x27;est pas située en Occitanie" in page or "n'est pas située en Occitanie" in page
    assert "ne relève des musiques actuelles" in page
    with pytest.raises(TransitionError):
        services.submit(application, application.applicant)


def test_references_follow_each_other_and_skip_taken_numbers():
    year = timezone.localdate().year
    ApplicationFactory(submitted=True, reference=f"TSF-{year}-0041")
    first = ready_application(EmploymentStatus.LEADER)
    second = ready_application(EmploymentStatus.LEADER)
    assert services.submit(first, first.applicant).application.reference == f"TSF-{year}-0042"
    assert services.submit(second, second.applicant).application.reference == f"TSF-{year}-0043"
    again = services.submit(first, first.applicant)
    assert not again.created and again.application.reference == f"TSF-{year}-0042"
    assert Application.objects.filter(state="submitted").count() == 3


def test_a_decision_is_recorded_once_with_its_date():
    application = ready_application()
    services.request_employer_approval(application, application.applicant, absolute)
    approval = EmployerApproval.objects.get()
    # Same hash → the same approval; simulate the token by replacing the hash.
    approval.token_hash = services.hash_token("jeton")
    approval.save()
    link = services.decide_employer_approval(
        "jeton", approve=True, comment="", ip_address="127.0.0.1", absolute=absolute
    )
    assert link.status == "decided"
    approval.refresh_from_db()
    assert approval.decision == EmployerDecision.APPROVED and approval.decided_at
    assert approval.ip_address == "127.0.0.1"
    second = services.decide_employer_approval(
        "jeton", approve=False, comment="", ip_address=None, absolute=absolute
    )
    assert second.status == "used"
