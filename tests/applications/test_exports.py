"""Exports open in their programs with the chosen columns and the filtered rows."""

import csv
import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
from django.urls import reverse

from maillage.applications import services
from maillage.people.models import EmploymentStatus, Role
from tests.factories import CallFactory, UserFactory

from .conftest import ready_application

pytestmark = pytest.mark.django_db
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


@pytest.fixture
def setup(client):
    call = CallFactory()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    applications = []
    for _ in range(3):
        application = ready_application(EmploymentStatus.LEADER, call=call)
        services.submit(application, application.applicant)
        application.refresh_from_db()
        applications.append(application)
    services.start_review(applications[0], actor=coordinator)
    services.decide(
        applications[0], outcome="refused", motivation="Hors du champ.", actor=coordinator
    )
    ready_application(EmploymentStatus.LEADER)  # another call, a draft: never exported
    client.force_login(coordinator)
    return client, call, applications


def download(client, call, file_format, columns, **filters):
    response = client.get(
        reverse("backoffice:export"),
        {"appel": call.pk, "format": file_format, "columns": columns, **filters},
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert "attachment" in response["Content-Disposition"]
    return content


def test_csv_is_streamed_with_the_chosen_columns(setup):
    client, call, applications = setup
    content = download(client, call, "csv", ["reference", "etat", "motivation"])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Référence", "État", "Motivation"]
    by_ref = {row[0]: row for row in rows[1:]}
    assert set(by_ref) == {a.reference for a in applications}
    assert by_ref[applications[0].reference][1:] == ["Refusée", "Hors du champ."]


def test_xlsx_opens_in_openpyxl_with_the_filtered_rows(setup):
    client, call, applications = setup
    content = download(
        client, call, "xlsx", ["reference", "depot", "jours", "decision"], etat="refused"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Référence", "Date de dépôt", "Jours", "Décision")
    assert len(rows) == 2
    assert rows[1][0] == applications[0].reference
    assert rows[1][2] == applications[0].days
    assert rows[1][3] == "Refusée"


def test_ods_is_a_valid_opendocument_spreadsheet(setup):
    client, call, applications = setup
    content = download(client, call, "ods", ["reference", "structure", "jours"])
    archive = zipfile.ZipFile(io.BytesIO(content))
    first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    assert "META-INF/manifest.xml" in archive.namelist()
    # Our own file, just written by the view under test.
    root = ElementTree.fromstring(archive.read("content.xml"))  # noqa: S314
    rows = [
        ["".join(p.itertext()) for p in row.iter(f"{TEXT}p")]
        for row in root.iter(f"{TABLE}table-row")
    ]
    assert rows[0] == ["Référence", "Structure", "Jours"]
    by_ref = {r[0]: r for r in rows[1:]}
    assert set(by_ref) == {a.reference for a in applications}
    first = applications[0]
    assert by_ref[first.reference][1:] == [first.organisation.name, str(first.days)]


def test_the_score_column_is_empty_without_completed_reviews(setup):
    client, call, applications = setup
    content = download(client, call, "csv", ["reference", "score"])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Référence", "Score moyen (sur 20)"]
    assert all(row[1] == "" for row in rows[1:]) and len(rows) == 4


def test_a_selection_exports_only_the_ticked_rows(setup):
    client, call, applications = setup
    content = download(client, call, "csv", ["reference"], ids=[applications[1].pk])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [[applications[1].reference]]


def test_gender_and_contacts_are_never_columns(setup):
    client, call, _applications = setup
    response = client.get(reverse("backoffice:export"), {"appel": call.pk})
    keys = [value for value, _label in response.context["form"].fields["columns"].choices]
    assert not {"genre", "gender", "email", "phone", "telephone"} & set(keys)
    response = client.get(
        reverse("backoffice:export"), {"appel": call.pk, "format": "csv", "columns": ["email"]}
    )
    assert response.status_code == 400


def test_no_column_is_an_error_kept_on_the_form(setup):
    client, call, _applications = setup
    response = client.get(reverse("backoffice:export"), {"appel": call.pk, "format": "xlsx"})
    assert response.status_code == 400
    assert "Choisissez au moins une colonne." in response.content.decode()


def test_formula_like_cells_are_neutralised_in_csv(setup):
    client, call, applications = setup
    organisation = applications[1].organisation
    organisation.name = "=HYPERLINK(1)"
    organisation.save()
    content = download(client, call, "csv", ["structure"])
    assert "'=HYPERLINK(1)" in content.decode("utf-8-sig")


def test_exports_and_decisions_are_written_to_the_audit_log(setup):
    from maillage.privacy.models import AuditAction, AuditEvent

    client, call, applications = setup
    decision = AuditEvent.objects.get(action=AuditAction.DECISION)
    assert decision.details["outcome"] == "refused"
    assert decision.object_id == str(applications[0].pk)
    download(client, call, "xlsx", ["reference", "etat"])
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.details == {"format": "xlsx", "columns": ["reference", "etat"], "rows": 3}
