"""Shared fixtures of the application tests: uploaded files go to a temporary MEDIA_ROOT."""

import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from maillage.people.models import EmploymentStatus, Role
from tests.factories import (
    ApplicationFactory,
    CompetenceFactory,
    OrganisationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def make_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def applicant(status: str = EmploymentStatus.EMPLOYEE, **kwargs):
    return UserFactory(roles=[Role.APPLICANT], employment_status=status, **kwargs)


def ready_application(status: str = EmploymentStatus.EMPLOYEE, **kwargs):
    """A complete, eligible draft (Toulouse venue, 2 days, two competences)."""
    user = kwargs.pop("applicant", None) or applicant(status)
    defaults = {
        "applicant": user,
        "organisation": user.organisation,
        "applicant_job_title": user.job_title,
        "applicant_employment_status": user.employment_status,
        "competences": [CompetenceFactory(), CompetenceFactory()],
        "desired_start": timezone.localdate() + datetime.timedelta(days=20),
        "desired_end": timezone.localdate() + datetime.timedelta(days=80),
    }
    defaults.update(kwargs)
    return ApplicationFactory(**defaults)


def other_organisation():
    return OrganisationFactory()
