"""Small CSV and XLSX files built in the tests, and the coordinator who imports them."""

import csv
import io

import pytest
from openpyxl import Workbook

from maillage.people.models import Role
from tests.factories import UserFactory

ORGANISATION_HEADERS = [
    "Nom",
    "SIRET",
    "Forme juridique",
    "Code INSEE",
    "Code postal",
    "Commune",
    "Activités",
    "Effectif (ETP)",
    "Adhérente de la fédération",
]


def csv_bytes(rows, *, delimiter=";", encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def coordinator():
    return UserFactory(roles=[Role.COORDINATOR], email="coordination@exemple.invalid")


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.MAILLAGE_IMPORT_MAX_ROWS = 200
