"""Exports of a call's applications (CSV, XLSX, ODS) with chosen columns, written row by row.

Rows come from ``QuerySet.iterator(chunk_size=…)`` (prefetches run per chunk), so memory does
not grow with the number of applications: CSV is streamed straight to the client; XLSX
(openpyxl's write-only mode) and ODS (a zip written entry by entry) go to a temporary file
served by FileResponse. Only the chosen columns are written; the applicant's gender, contact
details and free texts other than the decision's motivation are never exported.
"""

import csv
import datetime
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import Application, ApplicationState

Value = str | int | float | datetime.date | datetime.datetime | None
CHUNK = 500


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    value: Callable[[Application, "Extras"], Value]


@dataclass
class Extras:
    """Values computed outside the row itself (scores by application id)."""

    scores: dict[int, float | None]


def _competences(a: Application, _e: Extras) -> str:
    return ", ".join(sorted(c.label_fr for c in a.competences.all()))


def _period(a: Application, _e: Extras) -> str:
    if a.desired_start and a.desired_end:
        return f"{a.desired_start:%d/%m/%Y} – {a.desired_end:%d/%m/%Y}"
    return ""


def _resource_person(a: Application, _e: Extras) -> str:
    person = a.proposed_resource_person
    if person is not None:
        return person.user.full_name
    if a.proposed_external_name:
        return f"{a.proposed_external_name} ({a.proposed_external_organisation})".replace(" ()", "")
    return ""


def _eligibility(a: Application, _e: Extras) -> str:
    if a.eligible_at_submission is None:
        return ""
    return str(_("oui") if a.eligible_at_submission else _("non"))


def _decision(a: Application, _e: Extras) -> str:
    return str(ApplicationState(a.state).label) if a.state in workflow.DECIDED else ""


def _submitted(a: Application, _e: Extras) -> Value:
    return timezone.localtime(a.submitted_at).date() if a.submitted_at else None


COLUMNS: list[Column] = [
    Column("reference", _("Référence"), lambda a, e: a.reference or ""),
    Column("etat", _("État"), lambda a, e: str(ApplicationState(a.state).label)),
    Column("depot", _("Date de dépôt"), _submitted),
    Column("candidat", _("Candidat·e"), lambda a, e: a.applicant.full_name),
    Column("structure", _("Structure"), lambda a, e: a.organisation.name if a.organisation else ""),
    Column("siret", _("SIRET"), lambda a, e: a.organisation.siret if a.organisation else ""),
    Column(
        "departement",
        _("Département"),
        lambda a, e: a.organisation.commune.departement_id if a.organisation else "",
    ),
    Column("competences", _("Compétences"), _competences),
    Column("jours", _("Jours"), lambda a, e: a.days),
    Column("periode", _("Période souhaitée"), _period),
    Column("formats", _("Formats"), lambda a, e: ", ".join(a.format_labels())),
    Column("personne_ressource", _("Personne-ressource proposée"), _resource_person),
    Column("eligibilite", _("Éligible au dépôt"), _eligibility),
    Column("score", _("Score moyen (sur 20)"), lambda a, e: e.scores.get(a.pk)),
    Column("decision", _("Décision"), _decision),
    Column("motivation", _("Motivation"), lambda a, e: a.decision_motivation),
]
BY_KEY = {c.key: c for c in COLUMNS}
DEFAULT_COLUMNS = ["reference", "etat", "depot", "candidat", "structure", "departement", "jours"]


def available_columns(with_scores: bool) -> list[Column]:
    return [c for c in COLUMNS if with_scores or c.key != "score"]


def export_queryset(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related(
        "applicant", "organisation__commune", "proposed_resource_person__user"
    ).prefetch_related("competences")


def mean_scores(application_ids: list[int]) -> dict[int, float | None]:
    """Weighted mean totals out of 20 from the review app (completed reviews only)."""
    from maillage.review import selectors as review

    applications = (
        Application.objects.filter(pk__in=application_ids)
        .select_related("call")
        .prefetch_related(review._assignments_prefetch())
    )
    criteria_by_call: dict[int, list[Any]] = {}
    scores: dict[int, float | None] = {}
    for application in applications.iterator(chunk_size=CHUNK):
        if application.call_id not in criteria_by_call:
            criteria_by_call[application.call_id] = review.criteria_of(application.call)
        total = review.scores_of(application, criteria_by_call[application.call_id])
        mean = total.aggregate.mean_total
        scores[application.pk] = round(mean, 2) if mean is not None else None
    return scores


def rows(qs: QuerySet[Application], columns: list[Column], extras: Extras) -> Iterator[list[Value]]:
    for application in export_queryset(qs).iterator(chunk_size=CHUNK):
        yield [column.value(application, extras) for column in columns]


def filename(call_slug: str, extension: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"candidatures-{call_slug or 'tous-appels'}-{stamp}.{extension}"


# --------------------------------------------------------------------------------------------
# CSV (streamed)
# --------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line (for csv.writer in a generator)."""

    def write(self, value: str) -> str:
        return value


def _cell_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_chunks(header: list[str], body: Iterable[list[Value]]) -> Iterator[str]:
    """Semicolon-separated, with a BOM so that spreadsheet programs read UTF-8 accents."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(header)
    for row in body:
        yield writer.writerow([_safe(_cell_text(v)) for v in row])


def _safe(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --------------------------------------------------------------------------------------------
# XLSX (openpyxl write-only, to a temporary file)
# --------------------------------------------------------------------------------------------


def write_xlsx(header: list[str], body: Iterable[list[Value]]) -> IO[bytes]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Candidatures")))
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in body:
        sheet.append([_xlsx_value(v) for v in row])
    # Closed by FileResponse once sent (the file has no name: it vanishes when closed).
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_value(value: Value) -> Value:
    if isinstance(value, str):
        return _safe(value)
    return value


# --------------------------------------------------------------------------------------------
# ODS (OpenDocument spreadsheet, written by hand: a zip with the mimetype stored first)
# --------------------------------------------------------------------------------------------

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
CONTENT_START = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" \
xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" \
xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name={name}>
"""
CONTENT_END = "</table:table></office:spreadsheet></office:body></office:document-content>\n"


def _ods_cell(value: Value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime.datetime | datetime.date):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{day.isoformat()}">'
            f"<text:p>{day:%d/%m/%Y}</text:p></table:table-cell>"
        )
    return (
        '<table:table-cell office:value-type="string">'
        f"<text:p>{escape(str(value))}</text:p></table:table-cell>"
    )


def write_ods(header: list[str], body: Iterable[list[Value]]) -> IO[bytes]:
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
    with zipfile.ZipFile(output, "w") as archive:
        # The mimetype entry comes first and uncompressed, so that tools recognise the type.
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", MANIFEST, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("content.xml", date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as content:
            content.write(CONTENT_START.format(name=quoteattr(str(_("Candidatures")))).encode())
            content.write(_ods_row(header).encode())
            for row in body:
                content.write(_ods_row(row).encode())
            content.write(CONTENT_END.encode())
    output.seek(0)
    return output


def _ods_row(row: list[Any]) -> str:
    return "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>\n"
