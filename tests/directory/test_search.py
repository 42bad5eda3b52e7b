"""Search: relevance, filters, distance, and what the public may match and see."""

import pytest

from maillage.directory.selectors import Criteria, haversine_km, query_plan, search
from maillage.geography.models import Commune

from .conftest import ALBI, MONTPELLIER, PERPIGNAN, TOULOUSE, competence, make_person

pytestmark = pytest.mark.django_db


def found(text="", *, member=False, **criteria):
    result = search(Criteria(text=text, **criteria), member=member)
    return [card.person.user.last_name for card in result.page.object_list]


def test_regisseuse_finds_regisseur_and_ranking_prefers_the_job_title():
    in_title = make_person(
        user={"last_name": "Titre", "job_title": "régisseur général"},
        competences=("son.retours",),
        summary="Je transmets mes méthodes.",
    )
    in_summary = make_person(
        user={"last_name": "Resume", "job_title": "administratrice"},
        competences=("administration.budget",),
        summary="J'ai commencé comme régisseur il y a longtemps.",
    )
    make_person(
        user={"last_name": "Autre", "job_title": "chargée de communication"},
        competences=("communication_numerique.reseaux_sociaux",),
        summary="Réseaux sociaux.",
    )
    assert found("regisseuse") == [in_title.user.last_name, in_summary.user.last_name]
    assert found("Régisseurs")[:2] == found("regisseuse")[:2]


def test_all_words_must_match_then_partial_fallback():
    both = make_person(
        user={"last_name": "Both"},
        competences=("son.retours",),
        summary="Retours de scène et prévention des risques auditifs.",
    )
    one = make_person(
        user={"last_name": "One"}, competences=("son.retours",), summary="Retours de scène."
    )
    ticketing = make_person(
        user={"last_name": "Ticketing"},
        competences=("son.retours",),
        summary="Billetterie et accueil.",
    )
    assert found("retours auditifs") == ["Both"]
    assert search(Criteria(text="retours auditifs"), member=False).partial is False
    result = search(Criteria(text="auditifs billetterie"), member=False)
    assert result.partial is True
    assert {c.person.pk for c in result.page.object_list} == {both.pk, ticketing.pk}
    assert one.pk not in {c.person.pk for c in result.page.object_list}


def test_unknown_words_are_reported_and_ignored():
    make_person(user={"last_name": "Paie"}, competences=("paie_intermittence.paie_spectacle",))
    result = search(Criteria(text="paie xyzzyq"), member=False)
    assert result.ignored_words == ["xyzzyq"]
    assert [c.person.user.last_name for c in result.page.object_list] == ["Paie"]
    assert found("xyzzyq") == []


def test_last_word_is_completed_as_a_prefix():
    make_person(
        user={"last_name": "Prog", "job_title": "programmatrice"},
        competences=("diffusion_booking.prospection",),
    )
    assert found("programmat") == ["Prog"]
    assert found("program") == ["Prog"]
    plan, total = query_plan("regiss", member=False)
    assert total == 1 and plan.groups


def test_filters_competence_domain_departement_and_format():
    toulouse = make_person(
        user={"last_name": "Toulouse"}, competences=("son.retours",), format_remote=False
    )
    montpellier = make_person(
        user={"last_name": "Montpellier"},
        commune=MONTPELLIER,
        competences=("lumiere.pupitre",),
        format_remote=True,
    )
    retours = competence("son.retours")
    assert found(competence_id=retours.pk) == ["Toulouse"]
    assert found(domain_id=competence("lumiere.pupitre").domain_id) == ["Montpellier"]
    assert found(departement="34") == ["Montpellier"]
    assert found(format="distance") == ["Montpellier"]
    assert found("scène", competence_id=retours.pk, departement="31") == ["Toulouse"]
    assert found("scène", competence_id=retours.pk, departement="34") == []
    assert toulouse.pk and montpellier.pk


def test_distance_radius_and_travel_willingness():
    toulouse = Commune.objects.get(insee_code=TOULOUSE)
    make_person(user={"last_name": "Albi"}, commune=ALBI, travel_radius_km=30)
    make_person(user={"last_name": "Perpignan"}, commune=PERPIGNAN, travel_radius_km=250)
    make_person(user={"last_name": "Montpellier"}, commune=MONTPELLIER, travel_radius_km=250)
    result = search(Criteria(commune=toulouse, radius_km=100), member=True)
    cards = result.page.object_list
    assert [c.person.user.last_name for c in cards] == ["Albi"]
    assert 65 < cards[0].distance_km < 80  # Toulouse–Albi, great circle
    # Nearest first: Perpignan (about 155 km) before Montpellier (about 196 km).
    assert found(commune=toulouse, radius_km=200, member=True) == [
        "Albi",
        "Perpignan",
        "Montpellier",
    ]
    assert found(commune=toulouse, radius_km=200, reachable=True, member=True) == [
        "Perpignan",
        "Montpellier",
    ]


def test_haversine():
    assert haversine_km(43.6045, 1.4440, 43.6045, 1.4440) == 0
    # Toulouse - Montpellier, about 196 km as the crow flies.
    assert 190 < haversine_km(43.6045, 1.4440, 43.6109, 3.8772) < 200


def test_public_never_matches_or_locates_hidden_fields():
    make_person(
        user={"last_name": "Cachemire", "first_name": "Inès"},
        organisation="Tohu-Bohu",
        commune=ALBI,
        competences=("regie_securite.regie_generale",),
        consent_show_name=False,
        consent_show_organisation=False,
        consent_show_commune=False,
        consent_show_summary=False,
        summary="Mon secret professionnel : le patch.",
    )
    assert found("Cachemire") == []
    assert found("Tohu-Bohu") == []
    assert found("Albi") == []
    assert found("patch secret") == []
    toulouse = Commune.objects.get(insee_code=TOULOUSE)
    assert found(commune=toulouse, radius_km=100) == []
    assert found("Cachemire", member=True) == ["Cachemire"]
    assert found(commune=toulouse, radius_km=100, member=True) == ["Cachemire"]
    [card] = search(Criteria(text="régie"), member=False).page.object_list
    assert card.name == "Personne-ressource (Régie générale, Tarn)"
    assert (card.organisation, card.commune, card.summary, card.distance_km) == ("", "", "", None)


def test_browsing_without_text_never_sorts_public_pages_by_name():
    first = make_person(user={"last_name": "Zola"})
    second = make_person(user={"last_name": "Abel"})
    assert found() == ["Zola", "Abel"]  # oldest listed first
    assert found(member=True) == ["Abel", "Zola"]
    assert first.pk < second.pk
