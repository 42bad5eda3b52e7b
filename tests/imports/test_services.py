"""Idempotent imports: keys, re-imports, edited files, all-or-nothing, audit."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.imports import services
from maillage.imports.models import ImportRun, ImportStatus, ImportVia
from maillage.imports.services import Outcome
from maillage.organisations.models import Organisation
from maillage.people.models import ResourcePerson, Role, User, ValidationStatus
from maillage.privacy.models import AuditAction, AuditEvent
from maillage.transfers.models import Transfer, TransferSource, TransferStatus
from tests.factories import (
    CompetenceFactory,
    OrganisationFactory,
    ResourcePersonFactory,
    UserFactory,
    make_siret,
)

from .conftest import ORGANISATION_HEADERS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

SIRET_A = make_siret(900001)
SIRET_B = make_siret(900002)


def run(kind, rows, *, actor=None, dry_run=False, filename="f.csv", data=None):
    data = data if data is not None else csv_bytes(rows)
    report, _run = services.import_file(kind, data, filename, actor=actor, dry_run=dry_run)
    return report


def outcomes(report):
    return [row.outcome for row in report.rows]


ORGANISATIONS = [
    ORGANISATION_HEADERS,
    [
        "Le Bikini",
        SIRET_A,
        "SARL",
        "",
        "31520",
        "Ramonville-Saint-Agne",
        "salle; festival",
        "12",
        "oui",
    ],
    ["La Cigalière", "", "régie", "34142", "", "", "salle", "3", "non"],
    ["Studio des Bois", "", "association", "", "", "Albi", "studio", "", ""],
]


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


def test_importing_organisations_twice_creates_nothing_the_second_time():
    first = run("organisations", ORGANISATIONS)
    assert outcomes(first) == [Outcome.CREATED] * 3
    assert Organisation.objects.count() == 3
    bikini = Organisation.objects.get(siret=SIRET_A)
    assert (bikini.commune_id, bikini.legal_form, bikini.headcount) == ("31446", "sarl", 12)
    assert bikini.federation_member is True
    assert sorted(bikini.activity_codes) == ["festival", "salle"]
    assert Organisation.objects.get(name="La Cigalière").commune.name == "Lodève"

    second = run("organisations", ORGANISATIONS)
    assert outcomes(second) == [Outcome.UNCHANGED] * 3
    assert Organisation.objects.count() == 3


def test_an_edited_file_updates_only_the_changed_fields():
    run("organisations", ORGANISATIONS)
    bikini = Organisation.objects.get(siret=SIRET_A)
    bikini.website = "https://www.lebikini.invalid"  # typed on the platform, not in the sheet
    bikini.save()
    before = bikini.updated_at
    edited = [row[:] for row in ORGANISATIONS]
    edited[1][7] = "14"  # headcount
    edited[2][6] = "salle ; festival"  # activities
    report = run("organisations", edited)
    assert outcomes(report) == [Outcome.UPDATED, Outcome.UPDATED, Outcome.UNCHANGED]
    assert [c.field for c in report.rows[0].changes] == ["effectif salarié (ETP)"]
    assert (report.rows[0].changes[0].old, report.rows[0].changes[0].new) == ("12", "14")
    assert [c.field for c in report.rows[1].changes] == ["activités"]
    bikini.refresh_from_db()
    assert bikini.headcount == 14 and bikini.website == "https://www.lebikini.invalid"
    assert bikini.updated_at > before


def test_blank_cells_never_erase_stored_values():
    run("organisations", ORGANISATIONS)
    blanked = [ORGANISATION_HEADERS, ["Le Bikini", SIRET_A, "", "", "31520", "", "", "", ""]]
    assert outcomes(run("organisations", blanked)) == [Outcome.UNCHANGED]
    bikini = Organisation.objects.get(siret=SIRET_A)
    assert bikini.headcount == 12 and bikini.legal_form == "sarl"


def test_organisations_without_siret_are_keyed_by_folded_name_and_commune():
    run("organisations", ORGANISATIONS)
    retyped = [
        ["nom", "code insee"],
        ["  la cigaliere ", "34142"],  # same organisation: case, accents, spaces
        ["La Cigalière", "31555"],  # same name, another commune: another organisation
    ]
    assert outcomes(run("organisations", retyped)) == [Outcome.UNCHANGED, Outcome.CREATED]
    # The SIRET found later completes the organisation instead of duplicating it.
    with_siret = [["Nom", "SIRET", "Code INSEE"], ["La Cigalière", SIRET_B, "34142"]]
    report = run("organisations", with_siret)
    assert outcomes(report) == [Outcome.UPDATED]
    assert Organisation.objects.filter(siret=SIRET_B, commune_id="34142").count() == 1
    assert Organisation.objects.count() == 4


def test_existing_organisations_entered_on_the_platform_are_matched():
    existing = OrganisationFactory(name="Rocksane", siret=SIRET_B, activities=[])
    rows = [["Nom", "SIRET", "Code INSEE"], ["ROCKSANE (Bergerac)", SIRET_B, "31555"]]
    report = run("organisations", rows)
    assert outcomes(report) == [Outcome.UPDATED]
    assert {c.field for c in report.rows[0].changes} == {"nom"}
    assert Organisation.objects.get(pk=existing.pk).name == "ROCKSANE (Bergerac)"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["", SIRET_A, "", "31555", "", "", "", "", ""], "Nom : valeur obligatoire."),
        (["X", "12345678901234", "", "31555", "", "", "", "", ""], "n'est pas valide"),
        (["X", "", "", "", "", "", "", "", ""], "indiquez le code INSEE"),
        (["X", "", "", "99999", "", "", "", "", ""], "code INSEE « 99999 » inconnu"),
        (["X", "", "", "", "", "Aigues-Vives", "", "", ""], "plusieurs communes correspondent"),
        (["X", "", "", "", "09000", "", "", "", ""], "plusieurs communes correspondent"),
        (["X", "", "GIE", "31555", "", "", "", "", ""], "« GIE » n'est pas une valeur connue"),
        (["X", "", "", "31555", "", "", "cirque", "", ""], "« cirque » n'est pas une valeur"),
        (["X", "", "", "31555", "", "", "", "douze", ""], "« douze » n'est pas un nombre"),
        (["X", "", "", "31555", "", "", "", "", "bof"], "répondez par oui ou non"),
    ],
)
def test_row_errors_are_clear_and_nothing_is_written(row, message):
    good = ["Bon", "", "", "31555", "", "", "", "", ""]
    report = run("organisations", [ORGANISATION_HEADERS, good, row])
    assert outcomes(report) == [Outcome.CREATED, Outcome.ERROR]
    assert report.rows[1].number == 3
    assert any(message in error for error in report.rows[1].errors), report.rows[1].errors
    # All or nothing: the good row was rolled back with the bad one.
    assert not Organisation.objects.filter(name="Bon").exists()
    assert not ImportRun.objects.exists()


def test_a_row_lists_all_its_problems_at_once():
    row = ["", "123", "GIE", "99999", "", "", "", "douze", "bof"]
    report = run("organisations", [ORGANISATION_HEADERS, row])
    assert len(report.rows[0].errors) == 6


def test_the_same_organisation_twice_in_one_file_is_refused():
    rows = [ORGANISATION_HEADERS, ORGANISATIONS[1], ORGANISATIONS[2], ORGANISATIONS[1]]
    report = run("organisations", rows)
    assert report.rows[2].outcome == Outcome.ERROR
    assert "même fiche que la ligne 2" in report.rows[2].errors[0]


def test_xlsx_and_csv_of_the_same_table_give_the_same_result():
    rows = [ORGANISATION_HEADERS, ["Atelier", "", "", 9122, "", "", "", 2, True]]
    assert outcomes(run("organisations", rows, data=xlsx_bytes(rows), filename="s.xlsx")) == [
        Outcome.CREATED
    ]
    atelier = Organisation.objects.get(name="Atelier")
    assert (atelier.commune_id, atelier.headcount, atelier.federation_member) == ("09122", 2, True)
    csv_rows = [ORGANISATION_HEADERS, ["Atelier", "", "", "09122", "", "", "", "2", "oui"]]
    assert outcomes(run("organisations", csv_rows)) == [Outcome.UNCHANGED]


def test_dry_run_writes_nothing_but_reports_what_would_happen():
    report = run("organisations", ORGANISATIONS, dry_run=True)
    assert outcomes(report) == [Outcome.CREATED] * 3
    assert not Organisation.objects.exists() and not ImportRun.objects.exists()


def test_each_import_is_recorded_and_audited():
    actor = UserFactory(roles=[Role.COORDINATOR])
    data = csv_bytes(ORGANISATIONS)
    report, import_run = services.import_file(
        "organisations", data, "structures.csv", actor=actor, dry_run=False
    )
    assert import_run is not None
    assert (import_run.status, import_run.via, import_run.created_by) == (
        ImportStatus.APPLIED,
        ImportVia.COMMAND,
        actor,
    )
    assert (import_run.row_count, import_run.created_count, import_run.error_count) == (3, 3, 0)
    assert import_run.content == b"" and len(import_run.file_sha256) == 64
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.actor == actor and event.object_id == str(import_run.pk)
    assert event.details == {
        "kind": "organisations",
        "via": "command",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    # No personal data is kept in the recorded report of an applied import.
    assert "Bikini" not in str(import_run.report)


# Hypothesis: any set of rows imported twice gives "unchanged" everywhere the second time.
COMMUNES = ["31555", "34172", "81004", "09122"]
organisation_rows = st.lists(
    st.tuples(
        st.text(alphabet="abcdéèàç ABC-'", min_size=1, max_size=12).filter(lambda s: s.strip()),
        st.sampled_from(COMMUNES),
        st.sampled_from(["", "salle", "festival; label", "studio|ecole"]),
        st.one_of(st.just(""), st.integers(0, 50).map(str)),
        st.sampled_from(["", "oui", "non"]),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda row: (services.fold(row[0]), row[1]),
)


@given(rows=organisation_rows, retype=st.booleans())
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_reimporting_any_file_is_idempotent(rows, retype):
    table = [["Nom", "Code INSEE", "Activités", "Effectif", "Adhérente"]]
    table += [[name, insee, act, head, member] for name, insee, act, head, member in rows]
    with transaction.atomic():
        first = run("organisations", table)
        assert not first.has_errors, [r.errors for r in first.rows]
        count = Organisation.objects.count()
        if retype:  # the same file retyped: case and spacing of names do not matter
            table = [table[0]] + [[f"  {r[0].upper()} ", *r[1:]] for r in table[1:]]
        second = run("organisations", table)
        assert set(outcomes(second)) <= {Outcome.UNCHANGED, Outcome.UPDATED}
        if not retype:
            assert outcomes(second) == [Outcome.UNCHANGED] * len(rows)
        assert Organisation.objects.count() == count
        third = run("organisations", table)
        assert outcomes(third) == [Outcome.UNCHANGED] * len(rows)
        transaction.set_rollback(True)


# --------------------------------------------------------------------------------------------
# Resource persons
# --------------------------------------------------------------------------------------------

PERSON_HEADERS = [
    "E-mail",
    "Prénom",
    "Nom",
    "Poste",
    "SIRET de la structure",
    "Code INSEE",
    "Compétences",
    "Formats",
    "Statut",
    "Années d'expérience",
]


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Le Bikini", siret=SIRET_A)


@pytest.fixture
def competences():
    return [
        CompetenceFactory(code="test.budget", label_fr="Budget prévisionnel et suivi"),
        CompetenceFactory(code="test.regie", label_fr="Régie générale, son et lumière"),
    ]


def test_resource_persons_are_keyed_by_case_folded_email(organisation, competences):
    rows = [
        PERSON_HEADERS,
        [
            "Lea.Martin@Exemple.INVALID",
            "Léa",
            "Martin",
            "Régisseuse",
            SIRET_A,
            "",
            "test.budget; REGIE GENERALE, SON ET LUMIERE",
            "immersion; à distance",
            "",
            "15",
        ],
    ]
    assert outcomes(run("resource_persons", rows)) == [Outcome.CREATED]
    user = User.objects.get(email="lea.martin@exemple.invalid")
    assert not user.has_usable_password()
    assert user.organisation == organisation and user.job_title == "Régisseuse"
    assert user.has_role(Role.RESOURCE_PERSON)
    person = ResourcePerson.objects.get(user=user)
    # Pending unless the sheet says validated; works where the organisation is.
    assert person.status == ValidationStatus.PENDING and person.validated_at is None
    assert person.commune == organisation.commune and person.years_of_experience == 15
    assert sorted(person.formats) == ["distance", "immersion"]
    assert sorted(person.competences.values_list("code", flat=True)) == [
        "test.budget",
        "test.regie",
    ]
    rows[1][0] = "  lea.martin@exemple.invalid "
    assert outcomes(run("resource_persons", rows)) == [Outcome.UNCHANGED]
    assert User.objects.filter(email__iexact="lea.martin@exemple.invalid").count() == 1


def test_an_existing_account_gets_a_profile_and_declared_competences_are_kept(competences):
    person = ResourcePersonFactory(user__email="paul@exemple.invalid", competences=competences[:1])
    other = CompetenceFactory(code="test.autre")
    rows = [
        ["e-mail", "prénom", "nom", "compétences", "statut"],
        ["paul@exemple.invalid", "", "", "test.autre", "validée"],
    ]
    report = run("resource_persons", rows)
    assert outcomes(report) == [Outcome.UPDATED]
    assert [c.field for c in report.rows[0].changes] == ["compétences ajoutées"]
    assert set(person.competences.all()) == {competences[0], other}

    account = UserFactory(email="nouvelle@exemple.invalid")
    rows = [["E-mail", "Prénom", "Nom", "Code INSEE"], ["nouvelle@exemple.invalid", "", "", ""]]
    assert outcomes(run("resource_persons", rows)) == [Outcome.CREATED]
    profile = ResourcePerson.objects.get(user=account)
    assert profile.commune == account.organisation.commune
    assert account.has_role(Role.RESOURCE_PERSON)


def test_validated_status_from_the_sheet(organisation):
    actor = UserFactory(roles=[Role.COORDINATOR])
    rows = [
        ["E-mail", "Prénom", "Nom", "SIRET de la structure", "Statut"],
        ["a@exemple.invalid", "Ana", "Ruiz", SIRET_A, "Validée"],
    ]
    run("resource_persons", rows, actor=actor)
    person = ResourcePerson.objects.get(user__email="a@exemple.invalid")
    assert person.status == ValidationStatus.VALIDATED
    assert person.validated_at is not None and person.validated_by == actor


def test_resource_person_errors(organisation):
    rows = [
        ["E-mail", "Prénom", "Nom", "Structure", "Compétences", "Années d'expérience"],
        ["pas-une-adresse", "A", "B", "Le Bikini", "", ""],
        ["inconnue@exemple.invalid", "", "", "", "", ""],
        ["c@exemple.invalid", "C", "D", "Structure fantôme", "", ""],
        ["d@exemple.invalid", "C", "D", "Le Bikini", "jonglage", "70"],
        ["e@exemple.invalid", "E", "F", "", "", ""],
    ]
    report = run("resource_persons", rows)
    assert outcomes(report) == [Outcome.ERROR] * 5
    messages = [" ".join(row.errors) for row in report.rows]
    assert "n'est pas une adresse e-mail" in messages[0]
    assert "Prénom et nom sont obligatoires" in messages[1]
    assert "importez d'abord les structures" in messages[2]
    assert "compétence « jonglage » inconnue" in messages[3] and "entre 0 et 60" in messages[3]
    assert "indiquez la commune de travail" in messages[4]
    assert (
        not User.objects.filter(email__endswith="@exemple.invalid")
        .exclude(pk__in=organisation.people.values("pk"))
        .exists()
    )


# --------------------------------------------------------------------------------------------
# Past transfers
# --------------------------------------------------------------------------------------------

TRANSFER_HEADERS = [
    "Référence",
    "E-mail mentoré·e",
    "Prénom mentoré·e",
    "Nom mentoré·e",
    "Structure mentorée",
    "E-mail personne-ressource",
    "Compétences",
    "Date de début",
    "Date de fin",
    "Jours prévus",
    "Jours réalisés",
    "Format",
    "Statut",
    "Montant versé (€)",
]


@pytest.fixture
def pair(competences):
    mentor = ResourcePersonFactory(user__email="mentor@exemple.invalid", competences=competences)
    mentee_org = OrganisationFactory(name="La Cigalière")
    return mentor, mentee_org


def transfer_rows():
    return [
        TRANSFER_HEADERS,
        [
            "TSF-H-001",
            "ines@exemple.invalid",
            "Inès",
            "Garcia",
            "la cigaliere",
            "MENTOR@exemple.invalid",
            "test.budget",
            "03/02/2023",
            "10/03/2023",
            "3",
            "2,5",
            "immersion",
            "",
            "1 250,50 €",
        ],
        [
            "",
            "tom@exemple.invalid",
            "Tom",
            "Roux",
            "",
            "mentor@exemple.invalid",
            "test.regie; test.budget",
            "15/09/2024",
            "",
            "2",
            "",
            "à distance",
            "prévu",
            "",
        ],
    ]


def test_past_transfers_import_once(pair):
    mentor, mentee_org = pair
    actor = UserFactory(roles=[Role.COORDINATOR])
    assert outcomes(run("transfers", transfer_rows(), actor=actor)) == [Outcome.CREATED] * 2
    first = Transfer.objects.get(reference="TSF-H-001")
    assert first.source == TransferSource.IMPORT and first.import_key == "ref:tsf-h-001"
    assert first.mentee.email == "ines@exemple.invalid" and not first.mentee.has_usable_password()
    assert first.mentee.has_role(Role.APPLICANT)
    assert first.mentee_organisation == mentee_org
    assert first.resource_person == mentor
    assert first.mentor_organisation == mentor.user.organisation
    assert (first.planned_days, first.actual_days, first.amount_paid) == (
        Decimal("3.0"),
        Decimal("2.5"),
        Decimal("1250.50"),
    )
    assert (first.start_date, first.end_date) == (
        datetime.date(2023, 2, 3),
        datetime.date(2023, 3, 10),
    )
    # Past and without a status: completed.
    assert first.status == TransferStatus.COMPLETED and first.created_by == actor
    second = Transfer.objects.get(reference=None)
    assert second.import_key.startswith("hash:") and second.status == TransferStatus.PLANNED
    assert sorted(second.competences.values_list("code", flat=True)) == [
        "test.budget",
        "test.regie",
    ]

    assert outcomes(run("transfers", transfer_rows())) == [Outcome.UNCHANGED] * 2
    assert (
        Transfer.objects.count() == 2
        and User.objects.filter(email="tom@exemple.invalid").count() == 1
    )


def test_edited_transfers_update_in_place(pair):
    run("transfers", transfer_rows())
    rows = transfer_rows()
    rows[1][10] = "3"  # actual days
    rows[1][7] = "04/02/2023"  # the start date may change: the reference identifies the row
    rows[2][6] = "test.budget ; test.regie"  # same competences in another order
    report = run("transfers", rows)
    assert outcomes(report) == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert sorted(c.field for c in report.rows[0].changes) == ["début", "jours réalisés"]
    transfer = Transfer.objects.get(reference="TSF-H-001")
    assert transfer.actual_days == Decimal("3") and transfer.start_date == datetime.date(2023, 2, 4)
    # Without a reference, another start date is another transfer.
    rows[2][7] = "16/09/2024"
    assert outcomes(run("transfers", rows))[1] == Outcome.CREATED


def test_transfer_errors(pair):
    rows = transfer_rows()
    rows[1][5] = "inconnu@exemple.invalid"
    rows[1][8] = "01/01/2023"  # before the start
    rows[2][2] = ""  # a new mentee without first name
    rows.append(rows[2][:])  # the same transfer twice
    rows[3][2] = "Tom"
    report = run("transfers", rows)
    assert outcomes(report) == [Outcome.ERROR] * 3
    assert "importez d'abord les personnes-ressources" in " ".join(report.rows[0].errors)
    assert "la fin précède le début" in " ".join(report.rows[0].errors)
    assert "Prénom et nom de la personne mentorée" in report.rows[1].errors[0]
    assert "même fiche que la ligne 3" in report.rows[2].errors[0]
    assert not Transfer.objects.exists()


def test_a_reference_already_used_on_the_platform_is_refused(pair):
    from tests.factories import TransferFactory

    TransferFactory(reference="TSF-H-001")
    report = run("transfers", transfer_rows()[:2])
    assert "déjà utilisée" in report.rows[0].errors[0]


def test_the_command(tmp_path, capsys):
    path = tmp_path / "structures.csv"
    path.write_bytes(csv_bytes(ORGANISATIONS))
    call_command("import_spreadsheet", "organisations", str(path), "--dry-run")
    assert "3 créées" in capsys.readouterr().out and not Organisation.objects.exists()
    call_command("import_spreadsheet", "organisations", str(path))
    call_command("import_spreadsheet", "organisations", str(path))
    assert "3 inchangées" in capsys.readouterr().out
    assert ImportRun.objects.filter(status=ImportStatus.APPLIED).count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([ORGANISATION_HEADERS, ["", "", "", "", "", "", "", "", ""], ["X"]]))
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import_spreadsheet", "organisations", str(bad))
    with pytest.raises(CommandError, match="Colonnes obligatoires absentes"):
        (tmp_path / "x.csv").write_bytes(b"SIRET\r\n1\r\n")
        call_command("import_spreadsheet", "organisations", str(tmp_path / "x.csv"))
