"""The PDF receipt (récépissé de dépôt) of a submitted application, drawn with fpdf2."""

from pathlib import Path

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from .models import Application

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"


def receipt_filename(application: Application) -> str:
    return f"recepisse-{application.reference or application.pk}.pdf"


def _plain(text: str) -> str:
    """For the core fonts (Latin-1 only) when DejaVu is not installed."""
    replacements = {
        "·": ".",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "œ": "oe",
        "Œ": "OE",
        "€": "EUR",
    }
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


class _Receipt(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = REGULAR.exists() and BOLD.exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(REGULAR))
            self.add_font("DejaVu", "B", str(BOLD))
            self.family_name = "DejaVu"
        else:
            self.family_name = "Helvetica"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def text_(self, text: str) -> str:
        return text if self.unicode else _plain(text)

    def style(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)

    def line_(self, text: str, size: float = 10, bold: bool = False, height: float = 6) -> None:
        self.style(size, bold)
        self.multi_cell(0, height, self.text_(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def row(self, label: str, value: str) -> None:
        self.style(10, bold=True)
        self.multi_cell(52, 6, self.text_(label), new_x="RIGHT", new_y="TOP", align="L")
        self.style(10)
        self.multi_cell(0, 6, self.text_(value or "—"), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(1)


def render_receipt(application: Application) -> bytes:
    """The receipt as PDF bytes, built again on each download (a submitted application is
    frozen)."""
    pdf = _Receipt()
    pdf.set_title(receipt_filename(application))
    pdf.set_author("Maillage")
    pdf.set_creation_date(application.submitted_at or timezone.now())
    pdf.add_page()
    call = application.call
    programme = call.programme
    pdf.line_(programme.name, size=11, bold=True)
    if programme.operator:
        pdf.line_(programme.operator, size=9)
    pdf.ln(4)
    pdf.line_(_("Récépissé de dépôt de candidature"), size=18, bold=True, height=9)
    pdf.ln(2)
    submitted = timezone.localtime(application.submitted_at) if application.submitted_at else None
    when = formats.date_format(submitted, _("j F Y à H:i")) if submitted else "—"
    pdf.line_(
        _(
            "Nous accusons réception de votre candidature, déposée le %(date)s sous la "
            "référence %(reference)s. Ce récépissé atteste du dépôt ; il ne vaut pas décision "
            "de sélection."
        )
        % {"date": when, "reference": application.reference or "—"}
    )
    pdf.ln(4)
    applicant = application.applicant
    organisation = application.organisation
    pdf.row(_("Référence"), application.reference or "")
    pdf.row(_("Déposée le"), when)
    pdf.row(_("Appel"), call.title)
    pdf.row(
        _("Candidat·e"),
        f"{applicant.full_name} — {application.declared_job_title}"
        f" ({application.declared_status_label()})",
    )
    pdf.row(
        _("Structure"),
        f"{organisation.name}{f', SIRET {organisation.siret}' if organisation.siret else ''}"
        if organisation
        else "",
    )
    pdf.row(_("Compétences visées"), ", ".join(c.label for c in application.competences.all()))
    if application.days:
        pdf.row(
            _("Nombre de jours"),
            ngettext("%(n)s jour", "%(n)s jours", application.days) % {"n": application.days},
        )
    if application.desired_start and application.desired_end:
        pdf.row(
            _("Période souhaitée"),
            _("du %(start)s au %(end)s")
            % {
                "start": formats.date_format(application.desired_start, "j F Y"),
                "end": formats.date_format(application.desired_end, "j F Y"),
            },
        )
    pdf.row(_("Formats souhaités"), ", ".join(application.format_labels()))
    if application.employer_approved_at:
        pdf.row(
            _("Accord de l'employeur"),
            formats.date_format(timezone.localtime(application.employer_approved_at), "j F Y"),
        )
    pdf.ln(2)
    pdf.line_(_("Le besoin, en résumé"), size=11, bold=True)
    need = application.need.strip()
    pdf.line_(need if len(need) <= 1500 else need[:1500].rsplit(" ", 1)[0] + " […]")
    pdf.ln(4)
    pdf.line_(
        _(
            "Suite : la coordination instruit votre candidature puis la présente au comité de "
            "sélection. Vous suivez son état depuis votre tableau de bord."
        ),
        size=9,
    )
    return bytes(pdf.output())
