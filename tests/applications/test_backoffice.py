"""The coordination's back office: access rules, the list (filters, search, sort, counts,
constant queries), bulk actions, the application page, corrections with optimistic locking,
notes, messages and revisions."""

import pytest
from django.core import mail
from django.urls import reverse

from maillage.applications import services
from maillage.applications.models import ApplicationState, Message, StaffNote
from maillage.people.models import EmploymentStatus, Role
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CompetenceFactory,
    MessageFactory,
    StaffNoteFactory,
    UserFactory,
)

from .conftest import ready_application

pytestmark = pytest.mark.django_db

STAFF_GET = ["backoffice:list", "backoffice:export"]
STAFF_OBJECT_GET = ["backoffice:detail", "backoffice:revisions"]
STAFF_OBJECT_POST = [
    "backoffice:request_completion",
    "backoffice:start_review",
    "backoffice:close",
    "backoffice:note",
    "backoffice:message",
    "backoffice:edit",
]


def submitted(call=None, **kwargs):
    application = ready_application(EmploymentStatus.LEADER, **({"call": call} if call else {}))
    services.submit(application, application.applicant)
    application.refresh_from_db()
    for name, value in kwargs.items():
        setattr(application, name, value)
    if kwargs:
        application.save()
    return application


@pytest.fixture
def coordinator():
    return UserFactory(roles=[Role.COORDINATOR], first_name="Claire", last_name="Coord")


@pytest.fixture
def staff_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --------------------------------------------------------------------------------------------
# Access rules
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_only_coordinators_and_admins_reach_the_back_office(client, role):
    application = submitted()
    client.force_login(UserFactory(roles=[role]))
    allowed = role in (Role.COORDINATOR, Role.ADMIN)
    for name in STAFF_GET:
        assert client.get(reverse(name)).status_code == (200 if allowed else 403)
    for name in STAFF_OBJECT_GET:
        response = client.get(reverse(name, args=[application.pk]))
        assert response.status_code == (200 if allowed else 403)
    for name in STAFF_OBJECT_POST:
        response = client.post(reverse(name, args=[application.pk]), {})
        assert response.status_code in ((200, 302) if allowed else (403,))
    assert client.post(reverse("backoffice:bulk"), {}).status_code == (302 if allowed else 403)


def test_anonymous_visitors_are_sent_to_login(client):
    application = submitted()
    for name in STAFF_GET:
        assert client.get(reverse(name)).status_code == 302
    for name in STAFF_OBJECT_GET:
        assert client.get(reverse(name, args=[application.pk])).status_code == 302
    for name in STAFF_OBJECT_POST:
        assert client.post(reverse(name, args=[application.pk])).status_code == 302


def test_drafts_are_not_in_the_back_office(staff_client):
    draft = ApplicationFactory()
    for name in STAFF_OBJECT_GET:
        assert staff_client.get(reverse(name, args=[draft.pk])).status_code == 404
    assert staff_client.post(reverse("backoffice:note", args=[draft.pk]), {}).status_code == 404


def test_the_applicant_thread_is_the_owners_only(client):
    application = submitted()
    client.force_login(UserFactory(roles=[Role.APPLICANT]))
    url = reverse("applications:message", args=[application.pk])
    assert client.post(url, {"body": "Bonjour"}).status_code == 404
    assert not Message.objects.exists()
    client.logout()
    assert client.post(url, {"body": "Bonjour"}).status_code == 302
    assert not Message.objects.exists()


# --------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------


def test_the_list_shows_the_current_call_with_counts(staff_client):
    call = CallFactory()
    a = submitted(call)
    b = submitted(call)
    other = submitted()
    services.start_review(b, actor=UserFactory(roles=[Role.COORDINATOR]))
    response = staff_client.get(reverse("backoffice:list"), {"appel": call.pk})
    page = list(response.context["page"])
    assert {x.pk for x in page} == {a.pk, b.pk}
    counts = {row["state"]: row["count"] for row in response.context["counts"]}
    assert counts["submitted"] == 1 and counts["under_review"] == 1
    assert other.reference not in response.content.decode()


def test_filters_search_and_sort(staff_client):
    call = CallFactory()
    a = submitted(call, days=1)
    b = submitted(call, days=3)
    b.organisation.name = "Le Bikini"
    b.organisation.save()
    domain_competence = CompetenceFactory()
    a.competences.add(domain_competence)
    c = submitted(call, eligible_at_submission=False)

    def refs(**params):
        response = staff_client.get(reverse("backoffice:list"), {"appel": call.pk, **params})
        return [x.reference for x in response.context["page"]]

    assert refs(q="bikini") == [b.reference]
    assert refs(q=a.reference) == [a.reference]
    assert refs(eligibilite="non") == [c.reference]
    assert set(refs(eligibilite="oui")) == {a.reference, b.reference}
    assert refs(domaine=domain_competence.domain_id) == [a.reference]
    assert refs(tri="jours")[0] == a.reference
    assert refs(tri="-jours")[0] == b.reference
    assert refs(etat="under_review") == []
    assert refs(modalite="immersion") == []
    dep = a.organisation.commune.departement_id
    assert a.reference in refs(departement=dep)
    # An invalid value is ignored, the page still answers.
    assert len(refs(tri="n'importe quoi", etat="inconnu")) == 3


def test_the_reviewer_filter_uses_assignments(staff_client):
    from tests.factories import ReviewAssignmentFactory

    call = CallFactory()
    a = submitted(call)
    submitted(call)
    assignment = ReviewAssignmentFactory(application=a)
    response = staff_client.get(
        reverse("backoffice:list"), {"appel": call.pk, "evaluateur": assignment.reviewer_id}
    )
    assert [x.pk for x in response.context["page"]] == [a.pk]


def test_the_list_runs_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    call = CallFactory()
    submitted(call)
    with django_assert_max_num_queries(20) as few:
        staff_client.get(reverse("backoffice:list"), {"appel": call.pk})
    for _ in range(6):
        application = submitted(call)
        application.competences.add(CompetenceFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(reverse("backoffice:list"), {"appel": call.pk})
    assert len(response.context["page"]) == 7


def test_bulk_start_review_confirms_then_reports(staff_client):
    call = CallFactory()
    a = submitted(call)
    b = submitted(call)
    services.start_review(b, actor=UserFactory(roles=[Role.COORDINATOR]))
    data = {"action": "start_review", "ids": [a.pk, b.pk], "filters": f"appel={call.pk}"}
    response = staff_client.post(reverse("backoffice:bulk"), data)
    assert response.status_code == 200
    assert "Confirmer" in response.content.decode()
    a.refresh_from_db()
    assert a.state == ApplicationState.SUBMITTED
    response = staff_client.post(reverse("backoffice:bulk"), {**data, "confirm": "1"}, follow=True)
    a.refresh_from_db()
    assert a.state == ApplicationState.UNDER_REVIEW
    text = response.content.decode()
    assert "1 candidature passée en instruction" in text
    assert f"{b.reference} : impossible depuis l" in text


def test_bulk_export_goes_to_the_export_form_with_the_selection(staff_client):
    a = submitted()
    response = staff_client.post(reverse("backoffice:bulk"), {"action": "export", "ids": [a.pk]})
    assert response.status_code == 302
    assert response["Location"].endswith(f"export/?ids={a.pk}")


# --------------------------------------------------------------------------------------------
# The application page
# --------------------------------------------------------------------------------------------


def test_the_page_shows_everything_notes_history_and_both_eligibilities(staff_client):
    application = submitted()
    StaffNoteFactory(application=application, body="Appeler la structure.")
    MessageFactory(application=application, from_staff=False, body="Merci !")
    response = staff_client.get(reverse("backoffice:detail", args=[application.pk]))
    text = response.content.decode()
    assert "budget prévisionnel de tournée" in text
    assert "Appeler la structure." in text and "Merci !" in text
    assert "Au dépôt" in text and "Recalculée aujourd" in text
    assert "Candidature déposée" in text  # the history's note
    # Opening the page marks the applicant's messages as read.
    assert Message.objects.get().read_at is not None


def test_staff_notes_are_never_shown_to_the_applicant(client):
    application = submitted()
    StaffNoteFactory(application=application, body="Note très privée")
    client.force_login(application.applicant)
    response = client.get(reverse("applications:detail", args=[application.pk]))
    assert "Note très privée" not in response.content.decode()


def test_request_completion_from_the_page(staff_client, django_capture_on_commit_callbacks):
    application = submitted()
    url = reverse("backoffice:request_completion", args=[application.pk])
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Indiquez ce qu&#x27;il faut compléter." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"reason": "Joignez un devis."})
    application.refresh_from_db()
    assert application.state == ApplicationState.TO_COMPLETE
    assert any("Joignez un devis." in m.body for m in mail.outbox)


def test_close_without_follow_up_needs_a_motivation(staff_client):
    application = submitted()
    url = reverse("backoffice:close", args=[application.pk])
    assert staff_client.post(url, {"motivation": ""}).status_code == 200
    staff_client.post(url, {"motivation": "Candidature retirée."})
    application.refresh_from_db()
    assert application.state == ApplicationState.NO_FOLLOW_UP
    assert application.decision_motivation == "Candidature retirée."


def test_notes_and_messages_from_the_page(staff_client, django_capture_on_commit_callbacks):
    application = submitted()
    staff_client.post(reverse("backoffice:note", args=[application.pk]), {"body": "À relancer"})
    assert StaffNote.objects.get().body == "À relancer"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("backoffice:message", args=[application.pk]), {"body": "Quelle période ?"}
        )
    message = mail.outbox[-1]
    assert message.to == [application.applicant.email]
    assert f"/candidatures/{application.pk}/" in message.body


def test_the_applicant_reads_and_replies(client, django_capture_on_commit_callbacks):
    application = submitted()
    MessageFactory(application=application, body="Quelle période ?")
    client.force_login(application.applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Quelle période ?" in page
    url = reverse("applications:message", args=[application.pk])
    response = client.post(url, {"body": ""})
    assert response.status_code == 200 and "Écrivez votre message." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "En mars."})
    assert application.messages.filter(from_staff=False, body="En mars.").exists()
    assert mail.outbox[-1].to == ["coordination@maillage.invalid"]
    assert f"/coordination/candidatures/{application.pk}/" in mail.outbox[-1].body


# --------------------------------------------------------------------------------------------
# Corrections and optimistic locking
# --------------------------------------------------------------------------------------------


def edit_data(application, **changes):
    data = {
        "version": application.version,
        "days": application.days,
        "desired_start": application.desired_start.isoformat(),
        "desired_end": application.desired_end.isoformat(),
        "competences": [c.pk for c in application.competences.all()],
        "formats": ["distance"],
    }
    data.update(changes)
    return data


def test_a_correction_is_saved_with_its_history(staff_client):
    application = submitted()
    url = reverse("backoffice:edit", args=[application.pk])
    response = staff_client.post(url, edit_data(application, days=3))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.days == 3 and application.formats == ["distance"]
    note = application.events.order_by("-pk").first().note
    assert "Nombre de jours : 2 → 3" in note


def test_two_concurrent_edits_do_not_overwrite_each_other(client, coordinator):
    application = submitted()
    other = UserFactory(roles=[Role.COORDINATOR], first_name="Bruno", last_name="Second")
    url = reverse("backoffice:edit", args=[application.pk])
    # Both open the form at the same version; Bruno saves first.
    form_for_claire = edit_data(application, days=4)
    client.force_login(other)
    assert client.post(url, edit_data(application, days=3)).status_code == 302
    client.force_login(coordinator)
    response = client.post(url, form_for_claire)
    assert response.status_code == 409
    text = response.content.decode()
    assert "a été modifiée par Bruno Second à" in text
    assert "vos changements n&#x27;ont pas été enregistrés" in text
    application.refresh_from_db()
    assert application.days == 3  # Bruno's value stands
    form = response.context["edit_form"]
    assert form["days"].value() == "4"  # Claire's typed value is kept
    assert form["version"].value() == str(application.version)
    # Saving again, knowingly, overwrites.
    client.post(url, {**form_for_claire, "version": application.version})
    application.refresh_from_db()
    assert application.days == 4


def test_invalid_corrections_keep_the_typed_values(staff_client):
    application = submitted()
    url = reverse("backoffice:edit", args=[application.pk])
    response = staff_client.post(url, edit_data(application, days=42, competences=[]))
    assert response.status_code == 200
    form = response.context["edit_form"]
    assert form["days"].value() == "42"
    assert set(form.errors) == {"days", "competences"}


# --------------------------------------------------------------------------------------------
# Revisions
# --------------------------------------------------------------------------------------------


def test_revisions_show_accessible_differences(staff_client, coordinator):
    application = submitted()
    services.request_completion(application, reason="Besoin trop vague.", actor=coordinator)
    services.save_need(application, {"need": application.need + " Et la paie des artistes."})
    services.resubmit(application, actor=application.applicant)
    response = staff_client.get(reverse("backoffice:revisions", args=[application.pk]))
    text = response.content.decode()
    assert "Différences entre les versions 1 et 2" in text
    assert '<ins><span class="visually-hidden">ajouté : </span>' in text
    assert "paie" in text
    response = staff_client.get(
        reverse("backoffice:revisions", args=[application.pk]), {"de": 1, "a": 1}
    )
    assert "Aucune différence" in response.content.decode()
