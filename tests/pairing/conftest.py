"""A small call to match: three resource persons, accepted needs, a coordinator."""

from dataclasses import dataclass, field

import pytest

from maillage.applications.models import Application
from maillage.calls.models import Call
from maillage.competences.models import Competence
from maillage.people.models import Level, ResourcePerson, ResourcePersonCompetence, Role, User
from tests.factories import (
    AcceptedApplicationFactory,
    CallFactory,
    CompetenceFactory,
    DomainFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ResourcePersonFactory,
    UserFactory,
    loaded_commune,
)


@dataclass
class Scenario:
    call: Call
    coordinator: User
    budget: Competence
    touring: Competence
    rare: Competence
    expert: ResourcePerson
    second: ResourcePerson
    neighbour: ResourcePerson
    needs: list[Application] = field(default_factory=list)

    def need(self, *competences: Competence, **fields) -> Application:
        fields.setdefault("organisation", OrganisationFactory())
        fields.setdefault("format_immersion", True)
        application = AcceptedApplicationFactory(
            call=self.call, competences=list(competences), **fields
        )
        application.applicant.organisation = application.organisation
        application.applicant.save()
        self.needs.append(application)
        return application


def _person(name: str, commune: str, *links: tuple[Competence, int], **fields) -> ResourcePerson:
    organisation = OrganisationFactory(commune=loaded_commune(commune))
    user = UserFactory(
        first_name=name,
        last_name="Ressource",
        organisation=organisation,
        roles=[Role.RESOURCE_PERSON],
    )
    person = ResourcePersonFactory(user=user, commune=organisation.commune, **fields)
    ResourcePersonCompetence.objects.bulk_create(
        [
            ResourcePersonCompetence(resource_person=person, competence=c, level=level)
            for c, level in links
        ]
    )
    return person


@pytest.fixture
def scenario(db) -> Scenario:
    programme = ProgrammeFactory(slug="tsf-mise-en-relation")
    call = CallFactory(programme=programme, title="Appel mise en relation")
    domain = DomainFactory(label_fr="Administration")
    budget = CompetenceFactory(domain=domain, label_fr="Budget de tournée")
    touring = CompetenceFactory(domain=domain, label_fr="Organisation de tournée")
    rare = CompetenceFactory(domain=DomainFactory(), label_fr="Lutherie électronique")
    expert = _person("Alix", "31555", (budget, Level.EXPERT), summary="budget de tournée")
    second = _person("Basile", "34172", (budget, Level.ADVANCED), summary="budget, tournées")
    neighbour = _person("Cyane", "31555", (touring, Level.PRACTITIONER), summary="tournées")
    return Scenario(
        call=call,
        coordinator=UserFactory(roles=[Role.COORDINATOR], email="coord@exemple.invalid"),
        budget=budget,
        touring=touring,
        rare=rare,
        expert=expert,
        second=second,
        neighbour=neighbour,
    )
