"""The demo data set: volumes, consistency, demo accounts, idempotency and scaling.

Seeding runs once for the module (inside a transaction rolled back at the end); each test
then runs in a savepoint on top of it, so tests that delete or reseed do not leak.
"""

import re
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone
from stdnum.fr import siret

from maillage.applications.models import Application, ApplicationEvent, ApplicationState
from maillage.calls.models import Call, Programme
from maillage.core.demo import (
    CANDIDATE_EMAIL,
    COORDINATOR_EMAIL,
    DEMO_ACCOUNT_ROLES,
    DEMO_ACCOUNTS,
    DEMO_URL,
    OPEN_CALL_SLUG,
    PAST_CALL_SLUG,
    PROGRAMME_SLUG,
    RESOURCE_PERSON_EMAIL,
    SeedResult,
    demo_counts,
    seed_demo,
)
from maillage.geography.models import Departement
from maillage.organisations.models import Organisation, OrganisationActivity
from maillage.people.models import (
    EmploymentStatus,
    ResourcePerson,
    ResourcePersonCompetence,
    Role,
    RoleGrant,
    User,
    ValidationStatus,
)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# The suite hashes with MD5 (tests/conftest.py): seed with the same hasher so that
# authenticate() can check the demo password.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[SeedResult]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        yield seed_demo(seed=2026, scale=1)
        transaction.set_rollback(True)


def _delete_demo_data() -> None:
    """Empty the database of everything seed_demo creates (PROTECT order)."""
    Application.objects.all().delete()
    User.objects.all().delete()
    Organisation.objects.all().delete()
    Call.objects.all().delete()
    Programme.objects.all().delete()


def test_volumes(seeded: SeedResult) -> None:
    assert seeded.created
    counts = demo_counts()
    assert counts == seeded.counts
    assert 145 <= counts["organisations"] <= 160
    assert 390 <= counts["people"] <= 420
    assert 110 <= counts["resource_persons"] <= 130
    assert 190 <= counts["applications"] <= 215


def test_organisations_cover_every_departement_by_population(seeded: SeedResult) -> None:
    per_departement = Counter(
        Organisation.objects.values_list("commune__departement_id", flat=True)
    )
    assert set(per_departement) == set(Departement.objects.values_list("code", flat=True))
    assert len(per_departement) == 13
    # Haute-Garonne and Hérault are the most populated: they hold the most organisations.
    assert {code for code, _ in per_departement.most_common(2)} == {"31", "34"}
    assert per_departement["31"] > 5 * per_departement["48"]


def test_organisations_are_plausible(seeded: SeedResult) -> None:
    sirets = list(Organisation.objects.values_list("siret", flat=True))
    assert all(siret.is_valid(number) for number in sirets)
    assert len(set(sirets)) == len(sirets)
    activities = Counter(OrganisationActivity.objects.values_list("organisation_id", flat=True))
    assert set(activities.values()) <= {1, 2}
    assert len(activities) == Organisation.objects.count()
    share = Organisation.objects.filter(federation_member=True).count() / len(sirets)
    assert 0.45 <= share <= 0.75
    festival = Organisation.objects.filter(name__startswith="Festival ").first()
    assert festival is not None and festival.activity_codes[0] == "festival"


def test_people_roles_and_status(seeded: SeedResult) -> None:
    people = User.objects.exclude(email__endswith="@maillage.demo")
    assert people.filter(organisation__isnull=True).count() == 0
    assert people.filter(email__endswith="@exemple.invalid").count() == people.count()
    statuses = Counter(people.values_list("employment_status", flat=True))
    leaders = statuses[EmploymentStatus.LEADER] / people.count()
    assert 0.15 <= leaders <= 0.35
    assert statuses[EmploymentStatus.EMPLOYEE] + statuses[EmploymentStatus.LEADER] == (
        people.count()
    )
    genders = set(people.values_list("gender", flat=True))
    assert {"femme", "homme", "nsp", ""} <= genders
    # Everybody applies, except resource persons who mostly only pass on know-how.
    without_role = people.annotate(n=Count("role_grants")).filter(n=0)
    assert not without_role.exists()
    both = RoleGrant.objects.filter(role=Role.APPLICANT, user__resource_profile__isnull=False)
    assert both.exists()
    assert not people.filter(resource_profile__isnull=True, role_grants__role=Role.RESOURCE_PERSON)


def test_resource_persons(seeded: SeedResult) -> None:
    persons = ResourcePerson.objects.select_related("user__organisation")
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    statuses = Counter(p.status for p in persons)
    assert statuses[ValidationStatus.VALIDATED] / len(persons) > 0.7
    assert statuses[ValidationStatus.PENDING] > 0
    assert statuses[ValidationStatus.SUSPENDED] > 0
    links = Counter(ResourcePersonCompetence.objects.values_list("resource_person_id", flat=True))
    for person in persons:
        assert person.user.organisation is not None
        assert person.commune_id == person.user.organisation.commune_id
        assert 5 <= person.years_of_experience <= 30
        assert 3 <= person.days_per_year <= 20
        assert person.travel_radius_km in {30, 50, 100, 150, 250}
        assert person.formats
        assert 2 <= links[person.pk] <= 5
        assert len(person.summary) > 150
        if person.status == ValidationStatus.VALIDATED:
            assert person.validated_by == coordinator
            assert person.validated_at is not None
    assert ResourcePerson.objects.listed().count() > 0.6 * len(persons)


def test_applications_in_every_state_with_consistent_history(seeded: SeedResult) -> None:
    applications = Application.objects.select_related("call", "applicant")
    assert {a.state for a in applications} == set(ApplicationState.values)
    assert {a.call.slug for a in applications} == {OPEN_CALL_SLUG, PAST_CALL_SLUG}
    # The past call went through a locked committee session: every outcome, nothing pending.
    assert set(applications.filter(call__slug=PAST_CALL_SLUG).values_list("state", flat=True)) == {
        "accepted",
        "waitlisted",
        "refused",
        "no_follow_up",
    }
    events: dict[int, list[ApplicationEvent]] = {}
    for event in ApplicationEvent.objects.order_by("at", "pk"):
        events.setdefault(event.application_id, []).append(event)
    now = timezone.now()
    references = []
    for application in applications:
        history = events[application.pk]
        assert history[0].to_state == ApplicationState.DRAFT
        assert history[-1].to_state == application.state
        assert all(e.at < now for e in history)
        assert all(a.to_state == b.from_state for a, b in zip(history, history[1:], strict=False))
        assert application.created_at == history[0].at
        if application.state not in (ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER):
            first_submission = next(e for e in history if e.to_state == ApplicationState.SUBMITTED)
            assert application.submitted_at == first_submission.at
            assert re.fullmatch(r"TSF-20\d\d-\d{4,}", application.reference or "")
            references.append(application.reference)
            if application.applicant.employment_status == EmploymentStatus.EMPLOYEE:
                assert application.employer_approved_at == application.submitted_at
                assert application.employer_signatory_email
        else:
            assert application.reference is None
        if application.state != ApplicationState.DRAFT:
            assert 1 <= (application.days or 0) <= 5
            assert application.need and application.formats
        if application.desired_start and application.desired_end:
            assert application.desired_start <= application.desired_end
            if application.call.slug == OPEN_CALL_SLUG:
                assert application.desired_start > timezone.localdate()
    assert len(set(references)) == len(references)
    competences = Counter(
        Application.competences.through.objects.values_list("application_id", flat=True)
    )
    assert set(competences.values()) <= {1, 2, 3}


def test_submitted_applications_carry_their_eligibility(seeded: SeedResult) -> None:
    submitted = Application.objects.filter(submitted_at__isnull=False)
    assert submitted.exists()
    assert not submitted.filter(eligible_at_submission__isnull=True).exists()
    # Demo applicants meet every rule (region, sector, status, mentor elsewhere, days, agreement).
    assert not submitted.filter(eligible_at_submission=False).exists()
    sample = submitted.first()
    assert {rule["code"] for rule in sample.eligibility_snapshot} >= {"region", "days"}
    assert not Application.objects.filter(
        submitted_at__isnull=True, eligible_at_submission__isnull=False
    ).exists()


def test_proposed_resource_person_is_never_a_colleague(seeded: SeedResult) -> None:
    proposals = Application.objects.filter(proposed_resource_person__isnull=False)
    assert proposals.count() > 20
    assert not proposals.filter(
        proposed_resource_person__user__organisation=F("organisation")
    ).exists()


def test_programme_and_calls(seeded: SeedResult) -> None:
    programme = Programme.objects.get(slug=PROGRAMME_SLUG)
    assert programme.max_days_per_transfer == 5
    assert programme.max_transfers_per_resource_person_per_year == 3
    open_call = Call.objects.get(slug=OPEN_CALL_SLUG)
    assert open_call.is_open()
    assert open_call.budget_envelope == 120000
    assert open_call.text.count("\n\n") >= 8
    assert "personne-ressource" in open_call.text and "250 €" in open_call.text
    assert not Call.objects.get(slug=PAST_CALL_SLUG).is_open()


def test_every_demo_account_can_sign_in_with_its_role(seeded: SeedResult) -> None:
    assert len(DEMO_ACCOUNTS) == 6
    for email, label, password in DEMO_ACCOUNTS:
        assert len(password) >= 12 and label
        user = authenticate(None, username=email, password=password)
        assert isinstance(user, User), email
        assert user.has_role(DEMO_ACCOUNT_ROLES[email]), email
    admin = User.objects.get(email="admin@maillage.demo")
    assert admin.is_staff and admin.is_superuser


def test_demo_candidate_and_resource_person(seeded: SeedResult) -> None:
    candidate = User.objects.get(email=CANDIDATE_EMAIL)
    assert candidate.organisation is not None
    states = set(candidate.applications.values_list("state", flat=True))
    assert len(states) >= 2 and 2 <= candidate.applications.count() <= 3
    person = ResourcePerson.objects.get(user__email=RESOURCE_PERSON_EMAIL)
    assert person.status == ValidationStatus.VALIDATED
    assert ResourcePerson.objects.listed().filter(pk=person.pk).exists()
    assert person.consent_show_name and person.competence_links.exists()
    assert person.user.organisation != candidate.organisation


def test_second_run_creates_nothing(seeded: SeedResult) -> None:
    before = demo_counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "existent déjà" in out.getvalue()
    assert demo_counts() == before
    assert seed_demo(seed=7).created is False


def test_if_empty_is_a_no_op_once_an_organisation_exists(seeded: SeedResult) -> None:
    _delete_demo_data()
    OrganisationFactory()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "existent déjà" in out.getvalue()
    assert Organisation.objects.count() == 1
    assert not Programme.objects.exists()


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
def test_same_seed_same_data(seeded: SeedResult) -> None:
    names = sorted(Organisation.objects.values_list("name", flat=True))
    _delete_demo_data()
    seed_demo(seed=2026, scale=1)
    assert sorted(Organisation.objects.values_list("name", flat=True)) == names


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
def test_scale_multiplies_the_volumes(seeded: SeedResult) -> None:
    _delete_demo_data()
    out = StringIO()
    call_command("seed_demo", "--scale", "2", stdout=out)
    assert "Données de démonstration créées" in out.getvalue()
    doubled = demo_counts()
    for key in ("organisations", "people", "resource_persons", "applications"):
        assert 1.8 * seeded.counts[key] <= doubled[key] <= 2.1 * seeded.counts[key], key


def test_demo_accounts_command_prints_the_table() -> None:
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    assert DEMO_URL in text and "Mot de passe" in text
    for email, label, password in DEMO_ACCOUNTS:
        assert email in text and label in text and password in text
