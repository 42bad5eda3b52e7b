"""The multi-step form: drafts, nothing lost on errors, clear French messages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.applications.models import Application, ApplicationState
from maillage.people.models import EmploymentStatus, Role
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
)

from .conftest import applicant, ready_application

pytestmark = pytest.mark.django_db


def step_url(application, number):
    return reverse("applications:step", args=[application.pk, number])


def body(response):
    return response.content.decode()


def test_start_creates_one_draft_and_grants_the_applicant_role(client):
    call = CallFactory()
    user = UserFactory(roles=[], job_title="régisseuse", employment_status=EmploymentStatus.LEADER)
    client.force_login(user)
    url = reverse("applications:start", args=[call.slug])
    page = client.get(url)
    assert page.status_code == 200 and "Commencer ma candidature" in body(page)
    first = client.post(url)
    second = client.post(url)
    application = Application.objects.get(applicant=user)
    assert first.url == step_url(application, 1)
    assert second.status_code == 302  # resumed, not duplicated
    assert Application.objects.filter(applicant=user).count() == 1
    assert user.role_grants.filter(role=Role.APPLICANT).exists()
    assert application.applicant_job_title == "régisseuse"
    assert [e.to_state for e in application.events.all()] == [ApplicationState.DRAFT]
    # Starting again from the call page resumes the draft.
    assert client.get(url).url.startswith(f"/candidatures/{application.pk}/etape/")
    detail = client.get(reverse("calls:detail", args=[call.slug]))
    assert "Reprendre ma candidature" in body(detail)


def test_a_closed_call_refuses_new_applications(client):
    call = CallFactory(
        opens_on=timezone.localdate() - datetime.timedelta(days=60),
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    client.force_login(UserFactory())
    url = reverse("applications:start", args=[call.slug])
    assert "Cet appel est fermé" in body(client.get(url))
    response = client.post(url)
    assert "Cet appel est fermé" in body(response)
    assert not Application.objects.exists()
    detail = body(client.get(reverse("calls:detail", args=[call.slug])))
    assert "Candidatures fermées" in detail and "Commencer" not in detail


def test_anonymous_visitors_are_offered_signup_and_login_back_to_the_call(client):
    call = CallFactory()
    page = body(client.get(reverse("calls:detail", args=[call.slug])))
    next_url = reverse("applications:start", args=[call.slug])
    assert f"?next={next_url}" in page
    assert "Créer un compte pour candidater" in page
    response = client.get(reverse("applications:start", args=[call.slug]))
    assert response.status_code == 302 and reverse("people:login") in response.url


def test_step_one_saves_profile_and_rejects_markup_keeping_everything(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    data = {
        "first_name": "Léa",
        "last_name": "<script>alert(1)</script>",
        "phone": "06 12 34 56 78",
        "job_title": "Chargée de production",
        "employment_status": EmploymentStatus.EMPLOYEE,
        "action": "next",
    }
    response = client.post(step_url(application, 1), data)
    page = body(response)
    assert response.status_code == 200
    assert "balise HTML" in page
    assert 'aria-invalid="true"' in page
    # Every typed value is still in the page, the markup escaped.
    assert 'value="Chargée de production"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    application.refresh_from_db()
    application.applicant.refresh_from_db()
    # The valid answers are saved anyway: nothing lost if the person leaves now.
    assert application.applicant_job_title == "Chargée de production"
    assert application.applicant.first_name == "Léa"
    data["last_name"] = "Martin"
    response = client.post(step_url(application, 1), data)
    assert response.url == step_url(application, 2)


def test_step_two_wrong_siret_keeps_the_new_organisation_fields(client):
    application = ApplicationFactory(applicant=applicant(), organisation=None)
    client.force_login(application.applicant)
    response = client.post(
        step_url(application, 2),
        {
            "new-name": "Le Bikini Test",
            "new-siret": "123 456 789 00010",
            "new-legal_form": "association",
            "new-activities": ["salle"],
            "new-postal_code": "31000",
            "new-commune": "31555",
            "action": "create",
        },
    )
    page = body(response)
    assert "SIRET" in page and "n&#x27;est pas valide" in page
    assert 'value="Le Bikini Test"' in page and 'value="123 456 789 00010"' in page
    assert "Toulouse" in page  # communes of the postal code still listed
    application.refresh_from_db()
    assert application.organisation is None


def test_step_two_creates_or_picks_an_organisation(client):
    application = ApplicationFactory(applicant=applicant(), organisation=None)
    client.force_login(application.applicant)
    response = client.post(
        step_url(application, 2),
        {
            "new-name": "Le Bikini Test",
            "new-siret": "",
            "new-legal_form": "association",
            "new-activities": ["salle"],
            "new-postal_code": "31000",
            "new-commune": "31555",
            "action": "create",
        },
    )
    assert response.url == step_url(application, 3)
    application.refresh_from_db()
    assert application.organisation.name == "Le Bikini Test"
    other = OrganisationFactory(name="Rockstore Test")
    search = client.post(step_url(application, 2), {"q": "Rockstore", "action": "search"})
    assert "Rockstore Test" in body(search)
    client.post(step_url(application, 2), {"organisation": other.pk, "action": "next"})
    application.refresh_from_db()
    assert application.organisation == other


def test_step_three_limits_competences_and_keeps_the_text(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    competences = [CompetenceFactory() for _ in range(4)]
    need = "Je veux apprendre à monter un budget de tournée."
    response = client.post(
        step_url(application, 3),
        {
            "need": need,
            "expected_results": "Un budget juste.",
            "competences": [c.pk for c in competences],
            "action": "next",
        },
    )
    page = body(response)
    assert "Choisissez au plus 3 compétences (vous en avez coché 4)." in page
    assert need.replace("'", "&#x27;") in page
    for competence in competences:  # still ticked
        assert f'value="{competence.pk}" id="competence-{competence.pk}" checked' in page
    application.refresh_from_db()
    assert application.need == need  # the valid part is saved
    assert application.competences.count() == 0


def test_competence_suggestions_come_from_the_need_text(client):
    client.force_login(applicant())
    response = client.post(
        reverse("applications:competence_suggestions"),
        {"need": "Je dois construire un BUDGET prévisionnel et chercher des subventions"},
    )
    page = body(response)
    assert "Budget prévisionnel et suivi budgétaire" in page
    assert page.count('name="competences"') <= 5
    kept = CompetenceFactory(label_fr="Compétence déjà cochée")
    response = client.post(
        reverse("applications:competence_suggestions"),
        {"need": "budget", "competences": [kept.pk]},
    )
    assert f'value="{kept.pk}" id="competence-{kept.pk}" checked' in body(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "9"}, "Le programme finance de 1 à 5 jours par transfert : vous en demandez 9."),
        ({"days": "0"}, "Le programme finance de 1 à 5 jours par transfert : vous en demandez 0."),
        ({"desired_start": "2001-01-01"}, "La date de début ne peut pas être passée"),
        ({"desired_start": "+40", "desired_end": "+10"}, "La fin doit être postérieure"),
        ({"desired_start": "+1000"}, "Choisissez une date dans les 18 prochains mois."),
        ({"desired_start": "32/13/2026"}, "Saisissez une date valide"),
        ({"desired_start": "+10", "desired_end": "+11", "days": "5"}, "plus courte que les 5"),
    ],
)
def test_step_four_bounds_with_french_messages(client, data, message):
    application = ApplicationFactory(
        applicant=applicant(), days=None, desired_start=None, desired_end=None
    )
    client.force_login(application.applicant)
    today = timezone.localdate()

    def resolve(value):
        if value.startswith("+"):
            return (today + datetime.timedelta(days=int(value[1:]))).isoformat()
        return value

    posted = {"formats": ["distance"], "action": "next", **{k: resolve(v) for k, v in data.items()}}
    response = client.post(step_url(application, 4), posted)
    page = body(response)
    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in page
    for value in posted.values():
        if isinstance(value, str) and value not in ("next",):
            assert value in page  # typed values are shown again


def test_step_five_external_or_directory_person(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    response = client.post(
        step_url(application, 5),
        {
            "proposed_external_name": "",
            "proposed_external_organisation": "La Cave",
            "action": "next",
        },
    )
    assert "Indiquez le nom de la personne." in body(response)
    assert 'value="La Cave"' in body(response)
    person = ResourcePersonFactory(competences=[CompetenceFactory(label_fr="Régie son et lumière")])
    found = client.get(reverse("applications:resource_person_search"), {"rp_query": "régie son"})
    assert person.user.last_name in body(found)
    hidden = ResourcePersonFactory(pending=True)
    results = client.get(
        reverse("applications:resource_person_search"), {"rp_query": hidden.user.last_name}
    )
    assert f'value="{hidden.pk}"' not in body(results)
    response = client.post(
        step_url(application, 5), {"proposed_resource_person": person.pk, "action": "next"}
    )
    assert response.url == step_url(application, 6)
    application.refresh_from_db()
    assert application.proposed_resource_person == person


def test_step_seven_refuses_the_applicants_own_address(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    response = client.post(
        step_url(application, 7),
        {
            "employer_signatory_name": "Moi-même",
            "employer_signatory_email": application.applicant.email,
            "action": "save",
        },
    )
    assert "C&#x27;est votre propre adresse" in body(response)


def test_the_step_list_saves_before_moving_and_marks_the_current_step(client):
    application = ApplicationFactory(applicant=applicant(), expected_results="")
    client.force_login(application.applicant)
    page = body(client.get(step_url(application, 3)))
    assert 'aria-current="step"' in page and 'form="step-form" name="goto" value="5"' in page
    response = client.post(
        step_url(application, 3),
        {"need": "Nouveau besoin", "expected_results": "Autonomie", "goto": "5"},
    )
    assert response.url == step_url(application, 5)
    application.refresh_from_db()
    assert application.expected_results == "Autonomie"


def test_summary_lists_missing_answers_and_explains_eligibility(client):
    application = ApplicationFactory(applicant=applicant(), need="", days=None)
    client.force_login(application.applicant)
    page = body(client.get(step_url(application, 8)))
    assert "Décrivez votre besoin." in page
    assert "Indiquez le nombre de jours" in page
    assert "Structure située en Occitanie" in page
    assert "Déposer ma candidature</button>" not in page


def test_a_leader_submits_a_complete_draft_directly(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    application = ready_application(EmploymentStatus.LEADER, employer_signatory_name="")
    client.force_login(application.applicant)
    page = body(client.get(step_url(application, 8)))
    assert "Déposer ma candidature</button>" in page
    refused = client.post(step_url(application, 8), {})
    assert "Cochez l&#x27;attestation" in body(refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(step_url(application, 8), {"attestation": "on"})
    assert response.url == reverse("applications:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.employer_approved_at == application.submitted_at
    assert application.reference.startswith(f"TSF-{timezone.localdate().year}-")
    assert len(mailoutbox) == 1 and mailoutbox[0].attachments[0][2] == "application/pdf"
    # Steps of a submitted application lead to its page.
    assert client.get(step_url(application, 2)).url == reverse(
        "applications:detail", args=[application.pk]
    )


def test_other_statuses_are_told_they_are_not_eligible(client):
    application = ready_application(EmploymentStatus.OTHER)
    client.force_login(application.applicant)
    page = body(client.get(step_url(application, 8)))
    assert "bénévoles et indépendant·es ne peuvent pas candidater" in page
    assert "Déposer ma candidature</button>" not in page


def test_english_interface_keeps_working(client):
    application = ApplicationFactory(applicant=applicant())
    client.force_login(application.applicant)
    client.cookies["django_language"] = "en"
    assert client.get(step_url(application, 1)).status_code == 200


def test_dashboard_links_each_application_with_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    user = applicant()
    ApplicationFactory(applicant=user, competences=[CompetenceFactory()])
    ready_application(
        applicant=user,
        state=ApplicationState.SUBMITTED,
        submitted_at=timezone.now(),
        reference="TSF-2026-9001",
    )
    client.force_login(user)
    with django_assert_max_num_queries(15) as few:
        page = body(client.get(reverse("core:dashboard_applicant")))
    assert "Continuer" in page and "Télécharger le récépissé" in page
    for _ in range(4):
        ApplicationFactory(applicant=user, competences=[CompetenceFactory()])
        ApplicationFactory(applicant=user, awaiting_employer=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("core:dashboard_applicant"))
    assert body(response).count("Voir la candidature") == 10
