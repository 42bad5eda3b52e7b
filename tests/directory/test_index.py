"""Index maintenance: weights by consent, signals, rebuild (see docs/directory.md)."""

import pytest

from maillage.directory.models import IndexTerm, Term
from maillage.directory.selectors import Criteria, search
from maillage.directory.services import rebuild_directory_index
from maillage.people.models import ValidationStatus

from .conftest import competence, make_person

pytestmark = pytest.mark.django_db


def names(text, *, member=False, **criteria):
    result = search(Criteria(text=text, **criteria), member=member)
    return [card.person.user.last_name for card in result.page.object_list]


def weights(person, term):
    row = IndexTerm.objects.get(resource_person=person, term=term)
    return row.weight_public, row.weight_member


def test_only_listed_persons_are_indexed():
    listed = make_person()
    pending = make_person(pending=True)
    suspended = make_person(suspended=True)
    indexed = set(IndexTerm.objects.values_list("resource_person_id", flat=True))
    assert listed.pk in indexed
    assert not indexed & {pending.pk, suspended.pk}


def test_hidden_fields_weigh_only_for_members():
    person = make_person(
        user={"last_name": "Zabulon", "job_title": "régisseuse"},
        organisation="Tintamarre",
        consent_show_name=False,
        consent_show_organisation=False,
        consent_show_job=True,
    )
    assert weights(person, "zabulon")[0] == 0 < weights(person, "zabulon")[1]
    assert weights(person, "tintamarr")[0] == 0
    public, member = weights(person, "reg")  # job title + competence "Régie générale"
    assert 0 < public <= member


def test_editing_a_profile_updates_results_at_once():
    person = make_person(summary="Je transmets la logistique des festivals.")
    assert names("logistique") == [person.user.last_name]
    person.summary = "Je transmets la sécurité des grands rassemblements."
    person.save()
    assert names("logistique") == []
    assert names("rassemblements") == [person.user.last_name]


def test_withdrawing_consent_or_suspending_removes_at_once():
    person = make_person(user={"last_name": "Quintanilla"})
    assert names("Quintanilla") == ["Quintanilla"]
    person.consent_show_name = False
    person.save()
    assert names("Quintanilla") == []
    assert names("Quintanilla", member=True) == ["Quintanilla"]
    person.consent_directory = False
    person.save()
    assert names("Quintanilla", member=True) == []
    assert names("", member=True) == []
    person.consent_directory = True
    person.save()
    assert names("Quintanilla", member=True) == ["Quintanilla"]
    person.status = ValidationStatus.SUSPENDED
    person.save()
    assert names("Quintanilla", member=True) == []


def test_deactivated_account_and_renamed_organisation_follow():
    person = make_person(organisation="Ramdam")
    assert names("ramdam") == [person.user.last_name]
    organisation = person.user.organisation
    organisation.name = "Charivari"
    organisation.save()
    assert names("ramdam") == []
    assert names("charivari") == [person.user.last_name]
    person.user.is_active = False
    person.user.save()
    assert names("charivari") == []


def test_competence_links_added_and_removed_follow():
    person = make_person(competences=("son.retours",))
    assert names("billetterie") == []
    link = person.competence_links.create(competence=competence("accueil_publics.billetterie"))
    assert names("billetterie") == [person.user.last_name]
    link.delete()
    assert names("billetterie") == []


def test_login_does_not_reindex(django_assert_num_queries):
    person = make_person()
    user = person.user
    with django_assert_num_queries(1):
        user.save(update_fields=["last_login"])


def test_incremental_frequencies_match_a_full_rebuild():
    people = [make_person(user={"last_name": f"Nom{i}"}) for i in range(3)]
    people[0].consent_show_summary = False
    people[0].save()
    people[1].summary = "Tout autre chose : billetterie et accueil."
    people[1].save()
    people[2].status = ValidationStatus.SUSPENDED
    people[2].save()
    incremental = {t.term: (t.df_public, t.df_member) for t in Term.objects.all() if t.df_member}
    rows = set(IndexTerm.objects.values_list("term", "resource_person_id", "weight_public"))
    assert rebuild_directory_index() == 2
    rebuilt = {t.term: (t.df_public, t.df_member) for t in Term.objects.all()}
    assert incremental == rebuilt
    assert rebuilt[""] == (2, 2)
    assert set(IndexTerm.objects.values_list("term", "resource_person_id", "weight_public")) == rows


def test_rebuild_command(capsys):
    from django.core.management import call_command

    make_person()
    IndexTerm.objects.all().delete()
    call_command("rebuild_directory")
    assert "1 personnes-ressources indexées" in capsys.readouterr().out
    assert IndexTerm.objects.exists()


def test_deleting_a_person_or_account_leaves_no_rows():
    first, second = make_person(), make_person()
    first.delete()
    second.user.delete()
    assert not IndexTerm.objects.exists()


def test_deleting_links_in_bulk_reindexes():
    person = make_person(competences=("son.retours", "accueil_publics.billetterie"))
    person.competence_links.filter(competence__code="accueil_publics.billetterie").delete()
    assert not IndexTerm.objects.filter(resource_person=person, term="billetter").exists()
    assert IndexTerm.objects.filter(resource_person=person, term="retour").exists()


def test_deleting_an_organisation_forgets_its_name():
    person = make_person(organisation="Galurin")
    assert names("galurin") == [person.user.last_name]
    person.user.organisation.delete()
    assert names("galurin") == []
    assert names("", member=True) == [person.user.last_name]
