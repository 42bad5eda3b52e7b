import pytest

from maillage.competences.models import Competence
from maillage.directory.services import index_resource_person
from maillage.people.models import Level
from tests.factories import (
    OrganisationFactory,
    ResourcePersonCompetenceFactory,
    ResourcePersonFactory,
    UserFactory,
    loaded_commune,
)

TOULOUSE, MONTPELLIER, ALBI, PERPIGNAN = "31555", "34172", "81004", "66136"


def competence(code: str) -> Competence:
    return Competence.objects.select_related("domain").get(code=code)


def make_person(
    *,
    competences: tuple[str, ...] = ("regie_securite.regie_generale",),
    commune: str = TOULOUSE,
    user: dict | None = None,
    organisation: str | None = None,
    **fields,
):
    """A listed resource person with taxonomy competences (links saved one by one, so the
    signals index them as a profile form would)."""
    place = loaded_commune(commune)
    org = OrganisationFactory(name=organisation or "Structure sans nom", commune=place)
    person = ResourcePersonFactory(
        user=UserFactory(organisation=org, roles=["resource_person"], **(user or {})),
        commune=place,
        **fields,
    )
    for code in competences:
        ResourcePersonCompetenceFactory(
            resource_person=person, competence=competence(code), level=Level.ADVANCED
        )
    return person


@pytest.fixture
def person_factory(db):
    return make_person


@pytest.fixture
def reindex():
    return index_resource_person
