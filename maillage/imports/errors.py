"""French wording of the parsers' problem codes (``parsing.ParseError`` and ``CellError``)."""

from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .parsing import CellError, ParseError


def _join(names: list[str]) -> str:
    return ", ".join(f"« {name} »" for name in names)


def file_message(error: ParseError) -> str:
    params: dict[str, Any] = dict(error.params)
    messages = {
        "empty": _("Le fichier est vide : il doit contenir une ligne d'en-têtes puis les données."),
        "xls": _(
            "Les fichiers .xls (Excel 97-2003) ne sont pas acceptés : enregistrez le tableau au "
            "format .xlsx ou .csv."
        ),
        "extension": _(
            "Seuls les fichiers .csv et .xlsx sont acceptés (fichier « .%(extension)s »)."
        ),
        "mismatch": _(
            "Le contenu du fichier ne correspond pas à son extension .%(extension)s : "
            "enregistrez-le à nouveau depuis votre tableur au format .csv ou .xlsx."
        ),
        "xlsx": _("Ce fichier .xlsx est endommagé ou n'est pas un classeur Excel lisible."),
        "too_large_inflated": _("Ce classeur est trop volumineux une fois décompressé."),
        "encoding": _(
            "Le fichier CSV n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le en « CSV UTF-8 »."
        ),
        "csv": _("Le fichier CSV est mal formé vers la ligne %(line)s (guillemet non fermé ?)."),
        "too_many_rows": _(
            "Le fichier dépasse %(max)s lignes : découpez-le en plusieurs fichiers."
        ),
        "too_many_columns": _("Le fichier dépasse %(max)s colonnes."),
        "too_large": _("Le fichier dépasse la taille maximale de %(max)s."),
        "missing_columns": _(
            "Colonnes obligatoires absentes : %(columns)s. Partez du modèle de fichier."
        ),
        "duplicate_columns": _("Colonnes présentes deux fois : %(columns)s."),
    }
    if "columns" in params:
        params["columns"] = _join(params["columns"])
    if error.code == "too_large":
        params["max"] = filesizeformat(params["max"])
    return messages.get(error.code, _("Le fichier ne peut pas être lu.")) % params


def cell_message(error: CellError) -> str:
    messages = {
        "date": _("« %(value)s » n'est pas une date (attendu : jj/mm/aaaa)."),
        "number": _("« %(value)s » n'est pas un nombre."),
        "integer": _("« %(value)s » n'est pas un nombre entier."),
        "boolean": _("« %(value)s » : répondez par oui ou non."),
    }
    return messages.get(error.code, _("Valeur illisible.")) % error.params
