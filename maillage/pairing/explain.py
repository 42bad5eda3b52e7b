"""Plain-French explanations of a score, built from its stored components."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import scoring

LEVELS = {1: gettext_lazy("confirmé"), 2: gettext_lazy("avancé"), 3: gettext_lazy("expert")}
FORMAT_SHORT = {
    scoring.IMMERSION: gettext_lazy("immersion"),
    scoring.ON_SITE: gettext_lazy("sur site"),
    scoring.REMOTE: gettext_lazy("à distance"),
    scoring.MIXED: gettext_lazy("mixte"),
}
COMPONENT_LABELS = {
    "competence": gettext_lazy("Compétences"),
    "level": gettext_lazy("Niveau déclaré"),
    "text": gettext_lazy("Description"),
    "distance": gettext_lazy("Distance"),
    "formats": gettext_lazy("Formats"),
    "availability": gettext_lazy("Disponibilité"),
    "proposed": gettext_lazy("Proposition de la personne candidate"),
    "rural": gettext_lazy("Territoire rural"),
    "other_territory": gettext_lazy("Autre territoire"),
}
REASONS = {
    scoring.NO_COMPETENCE: gettext_lazy(
        "aucune personne-ressource validée n'a cette compétence dans la région"
    ),
    scoring.SAME_ORGANISATION: gettext_lazy(
        "seules des personnes de la même structure ont cette compétence"
    ),
    scoring.CAPACITY: gettext_lazy(
        "toutes les personnes-ressources compétentes ont atteint leur capacité"
    ),
    scoring.NO_FORMAT: gettext_lazy("aucun format compatible"),
    "competition": gettext_lazy(
        "les personnes-ressources compétentes sont toutes retenues pour d'autres besoins de l'appel"
    ),
    "declined": gettext_lazy(
        "les personnes-ressources sollicitées ont décliné et aucune autre n'est disponible"
    ),
}


def _number(value: float | int, decimals: int = 0) -> str:
    return number_format(value, decimals, force_grouping=True)


def _level(level: int) -> str:
    return str(LEVELS.get(level, LEVELS[1]))


def _competence(p: Mapping[str, Any]) -> str | None:
    wanted, exact, domain = p.get("wanted", 0), p.get("exact", 0), p.get("domain", 0)
    if not wanted:
        return None
    level = _level(p.get("level", 1))
    if exact and exact == wanted == 1:
        return _("même compétence, niveau %(level)s") % {"level": level}
    if exact and exact == wanted:
        return _("les %(count)s compétences visées, niveau %(level)s") % {
            "count": _number(wanted),
            "level": level,
        }
    if exact:
        text = ngettext(
            "%(exact)s compétence sur %(wanted)s, niveau %(level)s",
            "%(exact)s compétences sur %(wanted)s, niveau %(level)s",
            exact,
        ) % {"exact": _number(exact), "wanted": _number(wanted), "level": level}
        if domain:
            text += _(", %(count)s du même domaine") % {"count": _number(domain)}
        return text
    if domain and wanted == 1:
        return _("même domaine de compétences")
    if domain:
        return ngettext(
            "%(count)s compétence sur %(wanted)s du même domaine",
            "%(count)s compétences sur %(wanted)s du même domaine",
            domain,
        ) % {"count": _number(domain), "wanted": _number(wanted)}
    return _("aucune compétence en commun")


def _distance(p: Mapping[str, Any]) -> str:
    km = p.get("km")
    if p.get("remote_only"):
        return _("à distance")
    if km is None:
        return _("à distance possible") if p.get("remote") else _("distance inconnue")
    values = {"km": _number(km), "radius": _number(p.get("radius", 0))}
    if p.get("remote"):
        return _("%(km)s km, à distance possible") % values
    if km <= p.get("radius", 0):
        return _("%(km)s km") % values
    return _("%(km)s km, au-delà des %(radius)s km acceptés") % values


def _formats(p: Mapping[str, Any]) -> str | None:
    labels = [str(FORMAT_SHORT[code]) for code in p.get("formats", []) if code in FORMAT_SHORT]
    if not labels:
        return None
    return ngettext(
        "format %(formats)s compatible", "formats %(formats)s compatibles", len(labels)
    ) % {"formats": ", ".join(labels)}


def _availability(p: Mapping[str, Any]) -> str | None:
    wanted, covered = p.get("wanted", 0), p.get("covered", 0)
    if not wanted:
        return None
    if covered == wanted:
        return _("disponible sur la période souhaitée")
    if covered:
        return _("disponible %(covered)s mois sur %(wanted)s") % {
            "covered": _number(covered),
            "wanted": _number(wanted),
        }
    return _("indisponible sur la période souhaitée")


def phrase(code: str, params: Mapping[str, Any]) -> str | None:
    """The plain-French phrase of one component (None: nothing worth saying)."""
    if code == "competence":
        return _competence(params)
    if code == "level":
        level = params.get("level", 0)
        return _("niveau %(level)s") % {"level": _level(level)} if level else None
    if code == "text":
        relevance = params.get("relevance", 0)
        if not relevance:
            return None
        return _("description proche du besoin (pertinence %(percent)s %%)") % {
            "percent": _number(relevance)
        }
    if code == "distance":
        return _distance(params)
    if code == "formats":
        return _formats(params)
    if code == "availability":
        return _availability(params)
    if code == "proposed":
        return _("proposé·e par la personne candidate")
    if code == "rural":
        return _("besoin en territoire rural")
    if code == "other_territory":
        return _("découverte d'un autre département")
    return None


def as_dicts(components: Iterable[scoring.Component]) -> list[dict[str, Any]]:
    """Components as stored in ``Proposal.components`` (JSON)."""
    return scoring.component_dicts(components)


# The summary's order; "level" is already said by the competence phrase.
ORDER = [
    "competence",
    "text",
    "distance",
    "formats",
    "availability",
    "proposed",
    "rural",
    "other_territory",
]


def summary(components: Iterable[Mapping[str, Any]]) -> str:
    """ "même compétence, niveau expert ; 42 km ; format immersion compatible ; …"."""
    by_code = {c["code"]: c for c in components}
    parts = []
    for code in ORDER:
        component = by_code.get(code)
        if component is None:
            continue
        text = phrase(code, component.get("params", {}))
        if text:
            parts.append(text)
    return " ; ".join(parts)


@dataclass(frozen=True)
class Line:
    label: str
    points: str
    text: str


def breakdown(components: Iterable[Mapping[str, Any]]) -> list[Line]:
    """One line per component: label, points (localised), phrase."""
    return [
        Line(
            label=str(COMPONENT_LABELS.get(c["code"], c["code"])),
            points=_number(c.get("points", 0), 1),
            text=phrase(c["code"], c.get("params", {})) or "—",
        )
        for c in components
    ]


def reason(code: str) -> str:
    return str(REASONS.get(code, REASONS["competition"]))
