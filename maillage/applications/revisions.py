"""Revisions: a snapshot of everything the applicant gave, and the differences between two.

``snapshot`` reads the database (called inside the submitting transaction); ``compare`` is
pure: it works on two stored snapshots, so old revisions stay comparable even if the
competence taxonomy or the organisation changes later.
"""

import difflib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Application

# Snapshot keys in display order, with their French labels.
FIELDS: list[tuple[str, Any]] = [
    ("applicant", _("Candidat·e")),
    ("email", _("E-mail")),
    ("phone", _("Téléphone")),
    ("job_title", _("Poste occupé")),
    ("employment_status", _("Statut")),
    ("organisation", _("Structure")),
    ("siret", _("SIRET")),
    ("commune", _("Commune de la structure")),
    ("need", _("Le besoin")),
    ("expected_results", _("Résultats attendus")),
    ("competences", _("Compétences visées")),
    ("formats", _("Formats")),
    ("desired_start", _("Début souhaité")),
    ("desired_end", _("Fin souhaitée")),
    ("days", _("Nombre de jours")),
    ("proposed_resource_person", _("Personne-ressource proposée (annuaire)")),
    ("proposed_external_name", _("Personne-ressource hors annuaire")),
    ("proposed_external_organisation", _("Structure de la personne-ressource hors annuaire")),
    ("employer_signatory_name", _("Signataire pour l'employeur")),
    ("employer_signatory_email", _("E-mail du signataire")),
    ("attachments", _("Pièces jointes")),
]
LABELS = dict(FIELDS)
# Free texts long enough to be compared word by word.
LONG_TEXTS = {"need", "expected_results"}


def snapshot(application: Application) -> dict[str, Any]:
    """Plain values (strings, lists of strings) of what the applicant gave."""
    applicant = application.applicant
    organisation = application.organisation
    person = application.proposed_resource_person
    return {
        "applicant": applicant.full_name,
        "email": applicant.email,
        "phone": applicant.phone,
        "job_title": application.declared_job_title,
        "employment_status": application.declared_status_label(),
        "organisation": organisation.name if organisation else "",
        "siret": organisation.siret if organisation else "",
        "commune": str(organisation.commune) if organisation else "",
        "need": application.need,
        "expected_results": application.expected_results,
        "competences": sorted(c.label_fr for c in application.competences.all()),
        "formats": application.format_labels(),
        "desired_start": application.desired_start.isoformat() if application.desired_start else "",
        "desired_end": application.desired_end.isoformat() if application.desired_end else "",
        "days": str(application.days) if application.days is not None else "",
        "proposed_resource_person": person.user.full_name if person else "",
        "proposed_external_name": application.proposed_external_name,
        "proposed_external_organisation": application.proposed_external_organisation,
        "employer_signatory_name": application.employer_signatory_name,
        "employer_signatory_email": application.employer_signatory_email,
        "attachments": [a.original_name for a in application.attachments.all()],
    }


@dataclass(frozen=True)
class Piece:
    """A run of text that is kept ("equal"), removed ("delete") or added ("insert")."""

    kind: str
    text: str


@dataclass(frozen=True)
class Change:
    key: str
    label: Any
    old: str
    new: str
    # Word-level pieces for long texts and lists; empty for short values (old → new).
    pieces: tuple[Piece, ...] = ()


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _word_diff(old: str, new: str) -> tuple[Piece, ...]:
    a, b = old.split(" "), new.split(" ")
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("equal", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            pieces.append(Piece("delete", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(Piece("insert", " ".join(b[j1:j2])))
    return tuple(pieces)


def _list_diff(old: list[Any], new: list[Any]) -> tuple[Piece, ...]:
    kept = [Piece("equal", str(v)) for v in old if v in new]
    removed = [Piece("delete", str(v)) for v in old if v not in new]
    added = [Piece("insert", str(v)) for v in new if v not in old]
    return tuple(kept + removed + added)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The fields that differ, in display order (unknown keys last)."""
    keys = [key for key, _label in FIELDS] + sorted((set(old) | set(new)) - set(LABELS))
    changes = []
    for key in keys:
        before, after = old.get(key, ""), new.get(key, "")
        if before == after:
            continue
        pieces: tuple[Piece, ...] = ()
        if key in LONG_TEXTS:
            pieces = _word_diff(_as_text(before), _as_text(after))
        elif isinstance(before, list) or isinstance(after, list):
            pieces = _list_diff(
                before if isinstance(before, list) else [],
                after if isinstance(after, list) else [],
            )
        changes.append(Change(key, LABELS.get(key, key), _as_text(before), _as_text(after), pieces))
    return changes
