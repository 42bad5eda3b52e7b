"""The coordinators' import pages: access, upload, preview, confirmation (once), templates."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.imports.models import ImportRun, ImportStatus, ImportVia
from maillage.imports.parsing import COLUMNS, template_csv
from maillage.organisations.models import Organisation
from maillage.people.models import Role
from maillage.privacy.models import AuditAction, AuditEvent
from tests.factories import ImportRunFactory, UserFactory

from .conftest import ORGANISATION_HEADERS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ORGANISATION_HEADERS,
    ["Le Bikini", "", "SARL", "31446", "", "", "salle", "12", "oui"],
    ["La Cigalière", "", "régie", "34142", "", "", "salle", "3", "non"],
]


def imported():
    return Organisation.objects.filter(name__in=["Le Bikini", "La Cigalière"])


def upload(client, rows=ROWS, *, kind="organisations", name="structures.csv", data=None):
    data = data if data is not None else csv_bytes(rows)
    return client.post(
        reverse("imports:index"),
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def preview_of(coordinator, client, rows=ROWS):
    client.force_login(coordinator)
    response = upload(client, rows)
    assert response.status_code == 302
    return ImportRun.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def _urls(run_pk):
    return [
        ("get", reverse("imports:index")),
        ("get", reverse("imports:run", args=[run_pk])),
        ("post", reverse("imports:confirm", args=[run_pk])),
        ("post", reverse("imports:discard", args=[run_pk])),
        ("get", reverse("imports:template", args=["organisations"])),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    run = ImportRunFactory()
    for method, url in _urls(run.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("people:login"))


@pytest.mark.parametrize(
    "role", [Role.APPLICANT, Role.RESOURCE_PERSON, Role.COMMITTEE, Role.FUNDER]
)
def test_other_roles_are_refused(client, role):
    run = ImportRunFactory()
    client.force_login(UserFactory(roles=[role]))
    for method, url in _urls(run.pk):
        assert getattr(client, method)(url).status_code == 403, url


def test_a_preview_is_seen_and_confirmed_by_its_author_only(client, coordinator):
    run = preview_of(coordinator, client)
    for role in [Role.COORDINATOR, Role.ADMIN]:
        client.force_login(UserFactory(roles=[role]))
        for method, url in _urls(run.pk)[1:4]:
            assert getattr(client, method)(url).status_code == 404, url
    assert not imported()
    run.refresh_from_db()
    assert run.status == ImportStatus.PREVIEW
    # Once applied, the report (without personal data) is open to every coordinator.
    client.force_login(coordinator)
    client.post(reverse("imports:confirm", args=[run.pk]))
    client.force_login(UserFactory(roles=[Role.ADMIN]))
    page = client.get(reverse("imports:run", args=[run.pk]))
    assert page.status_code == 200 and "Compte rendu" in page.content.decode()
    assert client.get(reverse("imports:run", args=[999999])).status_code == 404


# --------------------------------------------------------------------------------------------
# Upload, preview, confirmation
# --------------------------------------------------------------------------------------------


def test_upload_preview_then_confirm_once(client, coordinator):
    run = preview_of(coordinator, client)
    assert (run.status, run.via, run.created_by) == (
        ImportStatus.PREVIEW,
        ImportVia.WEB,
        coordinator,
    )
    assert run.created_count == 2 and run.content and not imported()
    page = client.get(reverse("imports:run", args=[run.pk]))
    body = page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert "Aperçu de l'import" in body and "Le Bikini" in body and "La Cigalière" in body
    assert "Confirmer l'import" in body

    confirm = reverse("imports:confirm", args=[run.pk])
    first = client.post(confirm, follow=True)
    # A double click: the second POST finds the import applied and does nothing.
    second = client.post(confirm, follow=True)
    assert "Import terminé : 2 création(s)" in first.content.decode()
    assert "déjà été importé : rien n&#x27;a été refait" in second.content.decode()
    assert imported().count() == 2
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.content == b""
    assert "Bikini" not in str(run.report)
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 1

    # The same file again: everything unchanged, and the preview says it was imported before.
    again = preview_of(coordinator, client)
    assert (again.created_count, again.unchanged_count) == (0, 2)
    body = client.get(reverse("imports:run", args=[again.pk])).content.decode()
    assert "Ce même fichier a déjà été importé" in body
    assert "cet import ne change rien" in body


def test_rows_in_error_are_listed_and_cannot_be_confirmed(client, coordinator):
    rows = [*ROWS, ["", "", "", "99999", "", "", "", "", ""]]
    run = preview_of(coordinator, client, rows)
    assert run.error_count == 1
    body = client.get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "Lignes en erreur" in body and "code INSEE « 99999 » inconnu" in body
    assert "Confirmer l'import" not in body
    response = client.post(reverse("imports:confirm", args=[run.pk]), follow=True)
    assert "rien n&#x27;a été importé" in response.content.decode()
    assert not imported()
    run.refresh_from_db()
    assert run.status == ImportStatus.PREVIEW


def test_a_preview_can_be_dropped(client, coordinator):
    run = preview_of(coordinator, client)
    response = client.post(reverse("imports:discard", args=[run.pk]), follow=True)
    assert "Aperçu abandonné" in response.content.decode()
    assert not ImportRun.objects.exists() and not imported()


def test_form_errors_keep_the_chosen_kind_and_link_to_the_fields(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("imports:index"), {"kind": "transfers"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary"' in body and 'href="#id_file"' in body
    assert 'value="transfers" id="id_kind_2" checked' in body or (
        'value="transfers"' in body and "checked" in body
    )
    assert (
        'aria-invalid="true"' in body
        and 'aria-describedby="id_file_helptext id_file_error"' in body
    )
    response = client.post(reverse("imports:index"), {})
    body = response.content.decode()
    # The summary links to the radio group (or its first button), which exists on the page.
    target = re.search(r'href="#(id_kind(?:_0)?)"', body).group(1)
    assert f'id="{target}"' in body
    assert '<fieldset class="field choice-group" id="id_kind"' in body
    assert 'aria-describedby="id_kind_error"' in body and 'id="id_kind_error"' in body


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("structures.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Excel 97-2003"),
        ("structures.xlsx", b"Nom;SIRET\r\n", "ne correspond pas à son extension"),
        ("photo.png", b"\x89PNG\r\n", "Seuls les fichiers .csv et .xlsx"),
        ("structures.csv", b"SIRET;Commune\r\n1;2\r\n", "Colonnes obligatoires absentes"),
    ],
)
def test_files_are_checked_before_anything_happens(client, coordinator, name, data, message):
    client.force_login(coordinator)
    response = upload(client, name=name, data=data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_size_limit(client, coordinator, settings):
    settings.MAILLAGE_IMPORT_MAX_BYTES = 100
    client.force_login(coordinator)
    response = upload(client, [*ROWS] * 3)
    assert response.status_code == 400 and "taille maximale" in response.content.decode()


def test_xlsx_upload(client, coordinator):
    client.force_login(coordinator)
    response = upload(client, name="structures.xlsx", data=xlsx_bytes(ROWS))
    assert response.status_code == 302
    assert ImportRun.objects.get().created_count == 2


def test_template_files(client, coordinator):
    client.force_login(coordinator)
    for kind in COLUMNS:
        response = client.get(reverse("imports:template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response.content == template_csv(kind)
    assert client.get(reverse("imports:template", args=["autre"])).status_code == 404


def test_history_runs_a_constant_number_of_queries(
    client, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)
    ImportRunFactory.create_batch(2)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("imports:index"))
    ImportRunFactory.create_batch(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("imports:index"))
    assert response.content.decode().count("structures-") == 10


def test_the_coordinator_dashboard_links_to_imports_and_transfers(client, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("core:dashboard_coordinator")).content.decode()
    assert reverse("imports:index") in body and reverse("transfers:list") in body


def test_the_template_files_of_the_user_guide_are_those_the_page_serves():
    from pathlib import Path

    from maillage.imports.selectors import TEMPLATE_FILENAMES

    folder = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "modeles"
    for kind, filename in TEMPLATE_FILENAMES.items():
        assert (folder / filename).read_bytes() == template_csv(kind), filename
