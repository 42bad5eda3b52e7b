"""Idempotent spreadsheet imports: organisations, resource persons and past transfers.

Every row is matched to what already exists by a stable key (SIRET, else name + commune;
e-mail address; transfer reference, else a hash of who, with whom, when and on what), so
importing the same file twice creates nothing the second time and an edited file updates only
the fields that changed. A preview runs the very same code inside a transaction that is rolled
back, so what it announces is what the confirmation does. The confirmation is one transaction:
with a single row in error, nothing is written.

Blank cells never erase: an absent column or an empty cell leaves the stored value as it is.
Imports send no e-mail: imported people are invited later by the coordination.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, models, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.applications.models import Application
from maillage.calls.models import TransferFormat
from maillage.competences.models import Competence
from maillage.geography.models import Commune
from maillage.organisations.models import ActivityType, LegalForm, Organisation
from maillage.organisations.models import OrganisationActivity as Activity
from maillage.organisations.validators import validate_siret
from maillage.people.models import (
    Level,
    ResourcePerson,
    ResourcePersonCompetence,
    Role,
    RoleGrant,
    User,
    ValidationStatus,
)
from maillage.privacy.audit import record
from maillage.privacy.models import AuditAction
from maillage.transfers.models import Transfer, TransferSource, TransferStatus

from . import errors, parsing
from .models import ImportKind, ImportRun, ImportStatus, ImportVia
from .parsing import CellError, MappedRow, MappedTable, ParseError, fold

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000
# An unconfirmed preview holds a copy of the file: it goes after this delay.
PREVIEW_LIFETIME = datetime.timedelta(hours=24)
# Rows listed on the preview page (the counts always cover every row).
SHOWN_ROWS = 500


def max_bytes() -> int:
    return int(getattr(settings, "MAILLAGE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "MAILLAGE_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class Change:
    field: str
    old: str = ""
    new: str = ""


@dataclass
class RowResult:
    number: int
    outcome: Outcome
    label: str = ""
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self, *, private: bool) -> dict[str, Any]:
        """``private``: with the values (for the preview); else outcomes and field names."""
        data: dict[str, Any] = {"number": self.number, "outcome": str(self.outcome)}
        if private:
            data["label"] = self.label
            data["errors"] = self.errors
            data["changes"] = [[c.field, c.old, c.new] for c in self.changes]
        else:
            data["changes"] = [[c.field, "", ""] for c in self.changes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RowResult":
        return cls(
            number=int(data["number"]),
            outcome=Outcome(data["outcome"]),
            label=data.get("label", ""),
            changes=[Change(*change) for change in data.get("changes", [])],
            errors=list(data.get("errors", [])),
        )


@dataclass
class Report:
    kind: str
    rows: list[RowResult] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {str(outcome): self.count(outcome) for outcome in Outcome}

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == Outcome.ERROR for row in self.rows)

    def listed(self, limit: int) -> dict[str, list[RowResult]]:
        """The rows worth listing on a page (errors, creations, updates), ``limit`` of each."""
        return {
            str(outcome): [row for row in self.rows if row.outcome == outcome][:limit]
            for outcome in (Outcome.ERROR, Outcome.CREATED, Outcome.UPDATED)
        }

    def as_json(self, *, private: bool) -> dict[str, Any]:
        return {
            "ignored_columns": self.ignored_columns if private else [],
            "rows": [row.as_dict(private=private) for row in self.rows],
        }

    @classmethod
    def from_json(cls, kind: str, data: dict[str, Any]) -> "Report":
        return cls(
            kind=kind,
            rows=[RowResult.from_dict(row) for row in data.get("rows", [])],
            ignored_columns=list(data.get("ignored_columns", [])),
        )


class RowRejected(Exception):
    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class ImportRejected(Exception):
    """The file cannot be imported: a file-level problem or rows in error (nothing written)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.report = report


# --------------------------------------------------------------------------------------------
# Reading cells, collecting the row's problems
# --------------------------------------------------------------------------------------------

LEGAL_FORM_ALIASES = {
    "asso": LegalForm.ASSOCIATION,
    "association": LegalForm.ASSOCIATION,
    "association loi 1901": LegalForm.ASSOCIATION,
    "eurl": LegalForm.SARL,
    "sarl": LegalForm.SARL,
    "sas": LegalForm.SAS,
    "sasu": LegalForm.SAS,
    "regie": LegalForm.REGIE,
    "collectivite": LegalForm.REGIE,
    "collectivite territoriale": LegalForm.REGIE,
    "sem": LegalForm.SPL,
    "spl": LegalForm.SPL,
    "entreprise individuelle": LegalForm.ENTREPRENEUR,
    "micro entreprise": LegalForm.ENTREPRENEUR,
    "auto entrepreneur": LegalForm.ENTREPRENEUR,
}
ACTIVITY_ALIASES = {
    "salle": ActivityType.VENUE,
    "salle de concert": ActivityType.VENUE,
    "smac": ActivityType.VENUE,
    "lieu": ActivityType.VENUE,
    "label": ActivityType.LABEL,
    "edition": ActivityType.LABEL,
    "studio": ActivityType.STUDIO,
    "production": ActivityType.PRODUCER,
    "producteur": ActivityType.PRODUCER,
    "tourneur": ActivityType.PRODUCER,
    "ecole": ActivityType.SCHOOL,
    "ecole de musique": ActivityType.SCHOOL,
    "enseignement": ActivityType.SCHOOL,
    "media": ActivityType.MEDIA,
    "radio": ActivityType.MEDIA,
    "reseau": ActivityType.NETWORK,
    "federation": ActivityType.NETWORK,
    "collectivite": ActivityType.LOCAL_AUTHORITY,
}
FORMAT_ALIASES = {
    "immersion": TransferFormat.IMMERSION,
    "sur site": TransferFormat.ON_SITE,
    "site": TransferFormat.ON_SITE,
    "chez le mentore": TransferFormat.ON_SITE,
    "distance": TransferFormat.REMOTE,
    "a distance": TransferFormat.REMOTE,
    "visio": TransferFormat.REMOTE,
    "en ligne": TransferFormat.REMOTE,
    "mixte": TransferFormat.MIXED,
    "hybride": TransferFormat.MIXED,
}
VALIDATION_ALIASES = {
    "validee": ValidationStatus.VALIDATED,
    "valide": ValidationStatus.VALIDATED,
    "oui": ValidationStatus.VALIDATED,
    "en attente": ValidationStatus.PENDING,
    "a valider": ValidationStatus.PENDING,
    "suspendue": ValidationStatus.SUSPENDED,
    "suspendu": ValidationStatus.SUSPENDED,
}
TRANSFER_STATUS_ALIASES = {
    "prevu": TransferStatus.PLANNED,
    "planifie": TransferStatus.PLANNED,
    "a venir": TransferStatus.PLANNED,
    "en cours": TransferStatus.IN_PROGRESS,
    "realise": TransferStatus.COMPLETED,
    "termine": TransferStatus.COMPLETED,
    "effectue": TransferStatus.COMPLETED,
    "fait": TransferStatus.COMPLETED,
    "annule": TransferStatus.CANCELLED,
}


class RowReader:
    """The cells of one row, read once each; problems are collected, not raised, so that a
    row lists all its problems at once."""

    def __init__(self, row: MappedRow, kind: str) -> None:
        self.row = row
        self.headers = {column.key: column.header for column in parsing.COLUMNS[kind]}
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(
            _("%(column)s : %(message)s") % {"column": self.headers[key], "message": message}
        )

    def present(self, key: str) -> bool:
        return self.row.has(key)

    def text(self, key: str, *, max_length: int = 0, required: bool = False) -> str:
        value = parsing.text(self.row.values.get(key))
        if required and not value:
            self.error(key, _("valeur obligatoire."))
        if max_length and len(value) > max_length:
            self.error(key, _("%(count)s caractères au plus.") % {"count": max_length})
            return value[:max_length]
        return value

    def _parsed(self, key: str, parser: Any) -> Any:
        try:
            return parser(self.row.values.get(key))
        except CellError as error:
            self.error(key, errors.cell_message(error))
            return None

    def date(self, key: str, *, required: bool = False) -> datetime.date | None:
        value = self._parsed(key, parsing.parse_date)
        if value is None and required and not self.present(key):
            self.error(key, _("valeur obligatoire."))
        return value

    def integer(self, key: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        value = self._parsed(key, parsing.parse_int)
        if value is not None and (value < minimum or (maximum is not None and value > maximum)):
            bounds = {"min": minimum, "max": maximum}
            self.error(
                key,
                _("un nombre entre %(min)s et %(max)s est attendu.") % bounds
                if maximum is not None
                else _("un nombre supérieur ou égal à %(min)s est attendu.") % bounds,
            )
            return None
        return value

    def decimal(
        self, key: str, *, places: str, minimum: Decimal, maximum: Decimal, strict: bool = False
    ) -> Decimal | None:
        value = self._parsed(key, parsing.parse_decimal)
        if value is None:
            return None
        value = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
        if value < minimum or (strict and value == minimum) or value > maximum:
            message = (
                _("un nombre strictement positif, au plus %(max)s, est attendu.")
                if strict
                else _("un nombre entre %(min)s et %(max)s est attendu.")
            )
            self.error(key, message % {"min": minimum, "max": maximum})
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        return self._parsed(key, parsing.parse_bool)

    def choice(
        self, key: str, choices: Iterable[tuple[str, Any]], aliases: Mapping[str, str]
    ) -> str | None:
        raw = self.text(key)
        if not raw:
            return None
        options = [(str(code), str(label)) for code, label in choices]
        code = parsing.match_choice(raw, options, aliases)
        if code is None:
            self.error(key, _unknown_value(raw, options))
        return code

    def choices(
        self, key: str, choices: Iterable[tuple[str, Any]], aliases: Mapping[str, str]
    ) -> list[str] | None:
        items = parsing.split_list(self.row.values.get(key))
        if not items:
            return None
        options = [(str(code), str(label)) for code, label in choices]
        codes: list[str] = []
        for item in items:
            code = parsing.match_choice(item, options, aliases)
            if code is None:
                self.error(key, _unknown_value(item, options))
            elif code not in codes:
                codes.append(code)
        return codes

    def email(self, key: str, *, required: bool = False) -> str:
        value = parsing.normalise_email(self.text(key, required=required))
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.error(key, _("« %(value)s » n'est pas une adresse e-mail.") % {"value": value})
        return value

    def siret(self, key: str) -> str:
        value = parsing.digits(self.row.values.get(key), 14)
        if value:
            try:
                validate_siret(value)
            except ValidationError as error:
                self.error(key, " ".join(error.messages))
        return value

    def url(self, key: str) -> str:
        value = self.text(key, max_length=200)
        if value and "://" not in value:
            value = "https://" + value
        if value:
            try:
                URLValidator()(value)
            except ValidationError:
                self.error(key, _("« %(value)s » n'est pas une adresse web.") % {"value": value})
        return value


def _unknown_value(raw: str, options: list[tuple[str, str]]) -> str:
    return _("« %(value)s » n'est pas une valeur connue (valeurs possibles : %(options)s).") % {
        "value": raw,
        "options": ", ".join(f"« {label} »" for _code, label in options),
    }


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple | set):
        return " ; ".join(sorted(str(item) for item in value)) or "—"
    return str(value)


def _label(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


class Changes:
    """Assigns values that differ and remembers which fields changed (for update_fields)."""

    def __init__(self) -> None:
        self.items: list[Change] = []
        self.fields: dict[int, list[str]] = {}

    def set(self, obj: models.Model, name: str, value: Any, shown: Any = None) -> None:
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            old_id = getattr(obj, f"{name}_id")
            new_id = value.pk if value is not None else None
            if old_id == new_id:
                return
            old_shown = getattr(obj, name) if old_id is not None else None
        else:
            if getattr(obj, name) == value:
                return
            old_shown = getattr(obj, name)
        self.items.append(
            Change(_label(type(obj), name), _display(old_shown), _display(shown or value))
        )
        self.fields.setdefault(id(obj), []).append(name)
        setattr(obj, name, value)

    def note(self, label: str, old: Any, new: Any) -> None:
        self.items.append(Change(label, _display(old), _display(new)))

    def save(self, obj: models.Model) -> None:
        names = self.fields.get(id(obj))
        if names:
            # Only the changed fields are validated: an old value elsewhere is not our business.
            _clean(obj, exclude=[f.name for f in obj._meta.fields if f.name not in names])
            extra = ["updated_at"] if any(f.name == "updated_at" for f in obj._meta.fields) else []
            obj.save(update_fields=[*names, *extra])


def _clean(obj: models.Model, exclude: Sequence[str] = ()) -> None:
    """Model validation, turned into the row's messages."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as error:
        messages: list[str] = []
        for name, problems in error.message_dict.items():
            prefix = "" if name == "__all__" else _label(type(obj), name) + " : "
            messages.extend(prefix + problem for problem in problems)
        raise RowRejected(messages) from error


# --------------------------------------------------------------------------------------------
# Reference data, looked up once per import
# --------------------------------------------------------------------------------------------


class Lookups:
    """Memoised lookups: each distinct INSEE or postal code costs one query; the name index of
    the communes is loaded only when a row names a commune without any code."""

    def __init__(self) -> None:
        self._by_insee: dict[str, Commune | None] = {}
        self._by_postal: dict[str, list[Commune]] = {}
        self._commune_names: dict[str, list[str]] | None = None
        self._competences: dict[str, Competence] | None = None
        self._organisation_names: dict[str, list[int]] | None = None

    def _insee(self, code: str) -> Commune | None:
        if code not in self._by_insee:
            self._by_insee[code] = Commune.objects.filter(pk=code).first()
        return self._by_insee[code]

    def _postal(self, code: str) -> list[Commune]:
        if code not in self._by_postal:
            self._by_postal[code] = list(
                Commune.objects.filter(postal_codes__code=code).order_by("name").distinct()
            )
        return self._by_postal[code]

    def _named(self, folded: str) -> list[Commune]:
        if self._commune_names is None:
            self._commune_names = {}
            for insee, name in Commune.objects.values_list("insee_code", "name"):
                self._commune_names.setdefault(fold(name), []).append(insee)
        return [c for c in map(self._insee, self._commune_names.get(folded, [])) if c]

    def commune(self, reader: RowReader) -> Commune | None:
        """From the INSEE code, else the postal code and/or the name; None when all are blank."""
        insee = parsing.insee_code(reader.row.values.get("code_insee"))
        postal = parsing.digits(reader.row.values.get("code_postal"), 5)
        name = fold(reader.text("commune"))
        if insee:
            commune = self._insee(insee)
            if commune is None:
                reader.error(
                    "code_insee",
                    _("code INSEE « %(code)s » inconnu (communes de la région seulement).")
                    % {"code": insee},
                )
            return commune
        if not postal and not name:
            return None
        candidates = self._postal(postal) if postal else self._named(name)
        if postal and name:
            candidates = [c for c in candidates if fold(c.name) == name]
        if len(candidates) == 1:
            return candidates[0]
        key = "code_postal" if postal else "commune"
        if not candidates:
            reader.error(key, _("commune introuvable dans la région : indiquez son code INSEE."))
        else:
            reader.error(
                key,
                _("plusieurs communes correspondent (%(names)s) : indiquez le code INSEE.")
                % {"names": ", ".join(sorted(c.name for c in candidates))},
            )
        return None

    def competences(self, reader: RowReader, key: str = "competences") -> list[Competence] | None:
        """Codes or labels (French or English), ignoring case and accents; None when blank."""
        if self._competences is None:
            self._competences = {}
            for competence in Competence.objects.all():
                for name in (competence.code, competence.label_fr, competence.label_en):
                    if name:
                        self._competences.setdefault(fold(name), competence)
        items = parsing.split_list(reader.row.values.get(key))
        if not items:
            return None
        found: list[Competence] = []
        for item in items:
            match = self._competences.get(fold(item))
            # "Budget, Comptabilité": labels may hold commas, so commas split only as a fallback.
            parts = [self._competences.get(fold(part)) for part in item.split(",")]
            matches: list[Competence] = (
                [match]
                if match
                else [p for p in parts if p is not None]
                if all(parts) and len(parts) > 1
                else []
            )
            if not matches:
                reader.error(
                    key,
                    _(
                        "compétence « %(value)s » inconnue : utilisez le code ou le libellé du "
                        "référentiel, séparés par des points-virgules."
                    )
                    % {"value": item},
                )
            for competence in matches:
                if competence not in found:
                    found.append(competence)
        return found

    def organisation(
        self, reader: RowReader, siret_key: str, name_key: str | None
    ) -> Organisation | None:
        """An existing organisation named by SIRET or by name (never created here)."""
        siret = reader.siret(siret_key)
        name = reader.text(name_key) if name_key else ""
        if siret:
            organisation = Organisation.objects.filter(siret=siret).first()
            if organisation is None:
                reader.error(
                    siret_key,
                    _("aucune structure avec ce SIRET : importez d'abord les structures."),
                )
            return organisation
        if not name or not name_key:
            return None
        if self._organisation_names is None:
            self._organisation_names = {}
            for pk, org_name in Organisation.objects.values_list("pk", "name"):
                self._organisation_names.setdefault(fold(org_name), []).append(pk)
        ids = self._organisation_names.get(fold(name), [])
        if len(ids) == 1:
            return Organisation.objects.get(pk=ids[0])
        if ids:
            reader.error(name_key, _("plusieurs structures portent ce nom : indiquez le SIRET."))
        else:
            reader.error(
                name_key,
                _("structure « %(name)s » inconnue : importez d'abord les structures.")
                % {"name": name},
            )
        return None


# --------------------------------------------------------------------------------------------
# Importers, one per kind
# --------------------------------------------------------------------------------------------


class Importer:
    kind: str

    def __init__(self, actor: User | None) -> None:
        self.actor = actor
        self.lookups = Lookups()
        self.seen: dict[str, int] = {}  # key -> first row number, to refuse doubles

    def run_row(self, row: MappedRow) -> RowResult:
        reader = RowReader(row, self.kind)
        try:
            with transaction.atomic():
                return self.import_row(reader)
        except RowRejected as rejected:
            return RowResult(
                row.number, Outcome.ERROR, self.label(reader), errors=rejected.messages
            )
        except IntegrityError:
            return RowResult(
                row.number,
                Outcome.ERROR,
                self.label(reader),
                errors=[_("Cette ligne contredit une donnée existante (doublon ?).")],
            )

    def label(self, reader: RowReader) -> str:
        return ""

    def check(self, reader: RowReader) -> None:
        if reader.errors:
            raise RowRejected(reader.errors)

    def once(self, key: str, number: int) -> None:
        first = self.seen.setdefault(key, number)
        if first != number:
            raise RowRejected(
                [_("Cette ligne désigne la même fiche que la ligne %(row)s.") % {"row": first}]
            )

    def import_row(self, reader: RowReader) -> RowResult:
        raise NotImplementedError


def _result(number: int, label: str, created: bool, changes: Changes) -> RowResult:
    if created:
        return RowResult(number, Outcome.CREATED, label)
    if changes.items:
        return RowResult(number, Outcome.UPDATED, label, changes=changes.items)
    return RowResult(number, Outcome.UNCHANGED, label)


class OrganisationImporter(Importer):
    kind = ImportKind.ORGANISATIONS

    def label(self, reader: RowReader) -> str:
        return parsing.text(reader.row.values.get("nom"))

    def import_row(self, reader: RowReader) -> RowResult:
        name = reader.text("nom", max_length=200, required=True)
        siret = reader.siret("siret")
        commune = self.lookups.commune(reader)
        legal_form = reader.choice("forme_juridique", LegalForm.choices, LEGAL_FORM_ALIASES)
        activities = reader.choices("activites", ActivityType.choices, ACTIVITY_ALIASES)
        headcount = reader.integer("effectif", maximum=100_000)
        member = reader.boolean("adherente")
        website = reader.url("site_web")
        if commune is None and not reader.errors:
            reader.errors.append(
                _("Commune : indiquez le code INSEE, ou le code postal et la commune.")
            )
        self.check(reader)
        assert commune is not None
        self.once(parsing.organisation_key(siret, name, commune.insee_code), reader.row.number)

        organisation = self._find(siret, name, commune)
        changes = Changes()
        created = organisation is None
        if organisation is None:
            organisation = Organisation(
                name=name,
                siret=siret,
                commune=commune,
                legal_form=legal_form or LegalForm.ASSOCIATION,
                headcount=headcount,
                federation_member=bool(member),
                website=website,
            )
            _clean(organisation)
            organisation.save()
        else:
            # A name differing only by case, accents or spacing is the same name: kept as is.
            if fold(organisation.name) != fold(name):
                changes.set(organisation, "name", name)
            if siret:
                changes.set(organisation, "siret", siret)
            changes.set(organisation, "commune", commune, commune.name)
            if legal_form:
                changes.set(organisation, "legal_form", legal_form, LegalForm(legal_form).label)
            if headcount is not None:
                changes.set(organisation, "headcount", headcount)
            if member is not None:
                changes.set(organisation, "federation_member", member)
            if website:
                changes.set(organisation, "website", website)
            changes.save(organisation)
        if activities is not None:
            current = set(organisation.activities.values_list("activity", flat=True))
            if set(activities) != current:
                organisation.activities.all().delete()
                Activity.objects.bulk_create(
                    [Activity(organisation=organisation, activity=code) for code in activities]
                )
                if not created:
                    changes.note(
                        _("activités"),
                        [ActivityType(code).label for code in current],
                        [ActivityType(code).label for code in activities],
                    )
        return _result(reader.row.number, name, created, changes)

    @staticmethod
    def _find(siret: str, name: str, commune: Commune) -> Organisation | None:
        if siret:
            found = Organisation.objects.filter(siret=siret).first()
            if found is not None:
                return found
        wanted = fold(name)
        same = [
            organisation
            for organisation in Organisation.objects.filter(commune=commune)
            if fold(organisation.name) == wanted and not (siret and organisation.siret)
        ]
        if len(same) > 1:
            raise RowRejected(
                [_("Plusieurs structures portent ce nom dans cette commune : indiquez le SIRET.")]
            )
        return same[0] if same else None


class ResourcePersonImporter(Importer):
    kind = ImportKind.RESOURCE_PERSONS

    def label(self, reader: RowReader) -> str:
        return parsing.normalise_email(parsing.text(reader.row.values.get("email")))

    def import_row(self, reader: RowReader) -> RowResult:
        email = reader.email("email", required=True)
        first_name = reader.text("prenom", max_length=100)
        last_name = reader.text("nom", max_length=100)
        phone = reader.text("telephone", max_length=30)
        job = reader.text("poste", max_length=150)
        organisation = self.lookups.organisation(reader, "siret_structure", "structure")
        commune = self.lookups.commune(reader)
        years = reader.integer("annees_experience", maximum=60)
        summary = reader.text("presentation", max_length=3000)
        competences = self.lookups.competences(reader)
        formats = reader.choices("formats", TransferFormat.choices, FORMAT_ALIASES)
        days = reader.integer("jours_par_an", maximum=100)
        radius = reader.integer("rayon_km", maximum=1000)
        status = reader.choice("statut", ValidationStatus.choices, VALIDATION_ALIASES)
        self.check(reader)
        self.once(email, reader.row.number)

        changes = Changes()
        user, user_created = self._user(email, first_name, last_name, changes)
        for name, value in (("phone", phone), ("job_title", job)):
            if value:
                changes.set(user, name, value)
        if organisation is not None:
            changes.set(user, "organisation", organisation, organisation.name)
        if user_created:
            _clean(user, exclude=["password"])
            user.save()
        else:
            changes.save(user)
        _grant, granted = RoleGrant.objects.get_or_create(user=user, role=Role.RESOURCE_PERSON)
        if granted and not user_created:
            changes.note(_("rôle"), "", Role.RESOURCE_PERSON.label)

        profile = ResourcePerson.objects.filter(user=user).first()
        created = user_created or profile is None
        if profile is None:
            place = commune or (user.organisation.commune if user.organisation else None)
            if place is None:
                raise RowRejected(
                    [
                        _(
                            "Commune : indiquez la commune de travail (code INSEE, ou code "
                            "postal et commune) ou une structure connue."
                        )
                    ]
                )
            profile = ResourcePerson(
                user=user,
                commune=place,
                years_of_experience=years or 0,
                summary=summary,
                days_per_year=5 if days is None else days,
                travel_radius_km=100 if radius is None else radius,
                status=status or ValidationStatus.PENDING,
            )
            profile.set_formats(formats or [])
            if profile.status == ValidationStatus.VALIDATED:
                profile.validated_at = timezone.now()
                profile.validated_by = self.actor
            # The presentation may come later, from the person: the profile form asks for it.
            _clean(profile, exclude=["user", "validated_by", "summary"])
            profile.save()
        else:
            self._profile_changes(profile, changes, commune, years, summary, days, radius, status)
            if formats is not None and sorted(profile.formats) != sorted(formats):
                changes.note(_("formats"), profile.format_labels(), _format_labels(formats))
                profile.set_formats(formats)
                changes.fields.setdefault(id(profile), []).extend(profile.FORMAT_FIELDS.values())
            changes.save(profile)
        if competences:
            added = self._add_competences(profile, competences)
            if added and not created:
                changes.note(_("compétences ajoutées"), "", [c.label_fr for c in added])
        return _result(reader.row.number, email, created, changes)

    @staticmethod
    def _user(email: str, first: str, last: str, changes: Changes) -> tuple[User, bool]:
        user = User.objects.filter(email=email).select_related("organisation__commune").first()
        if user is None:
            if not first or not last:
                raise RowRejected(
                    [_("Prénom et nom sont obligatoires pour créer le compte de cette personne.")]
                )
            # No usable password: the person is invited later by the coordination.
            user = User(email=email, first_name=first, last_name=last)
            user.set_unusable_password()
            return user, True
        if first:
            changes.set(user, "first_name", first)
        if last:
            changes.set(user, "last_name", last)
        return user, False

    def _profile_changes(
        self,
        profile: ResourcePerson,
        changes: Changes,
        commune: Commune | None,
        years: int | None,
        summary: str,
        days: int | None,
        radius: int | None,
        status: str | None,
    ) -> None:
        if commune is not None:
            changes.set(profile, "commune", commune, commune.name)
        if years is not None:
            changes.set(profile, "years_of_experience", years)
        if summary:
            changes.set(profile, "summary", summary)
        if days is not None:
            changes.set(profile, "days_per_year", days)
        if radius is not None:
            changes.set(profile, "travel_radius_km", radius)
        if status and status != profile.status:
            changes.set(profile, "status", status, ValidationStatus(status).label)
            if status == ValidationStatus.VALIDATED:
                profile.validated_at = timezone.now()
                profile.validated_by = self.actor
                changes.fields[id(profile)].extend(["validated_at", "validated_by"])

    @staticmethod
    def _add_competences(
        profile: ResourcePerson, competences: list[Competence]
    ) -> list[Competence]:
        """Adds the missing ones; never removes what the person declared on the platform."""
        have = set(profile.competence_links.values_list("competence_id", flat=True))
        added = [c for c in competences if c.pk not in have]
        for competence in added:
            ResourcePersonCompetence.objects.create(
                resource_person=profile, competence=competence, level=Level.PRACTITIONER
            )
        return added


def _format_labels(codes: Iterable[str]) -> list[str]:
    return [str(TransferFormat(code).label) for code in codes]


class TransferImporter(Importer):
    kind = ImportKind.TRANSFERS

    def label(self, reader: RowReader) -> str:
        reference = parsing.text(reader.row.values.get("reference"))
        start = parsing.text(reader.row.values.get("date_debut"))
        return reference or start

    def import_row(self, reader: RowReader) -> RowResult:
        reference = reader.text("reference", max_length=40)
        mentee_email = reader.email("email_mentore", required=True)
        mentee_first = reader.text("prenom_mentore", max_length=100)
        mentee_last = reader.text("nom_mentore", max_length=100)
        mentee_org = self.lookups.organisation(
            reader, "siret_structure_mentoree", "structure_mentoree"
        )
        mentor_email = reader.email("email_personne_ressource", required=True)
        mentor_org = self.lookups.organisation(reader, "siret_structure_personne_ressource", None)
        competences = self.lookups.competences(reader)
        start = reader.date("date_debut", required=True)
        end = reader.date("date_fin")
        planned = reader.decimal(
            "jours_prevus", places="0.1", minimum=Decimal(0), maximum=Decimal(999), strict=True
        )
        actual = reader.decimal(
            "jours_realises", places="0.1", minimum=Decimal(0), maximum=Decimal(999)
        )
        fmt = reader.choice("format", TransferFormat.choices, FORMAT_ALIASES)
        status = reader.choice("statut", TransferStatus.choices, TRANSFER_STATUS_ALIASES)
        amount = reader.decimal(
            "montant_verse", places="0.01", minimum=Decimal(0), maximum=Decimal(10_000_000)
        )
        application = self._application(reader)
        if start and end and end < start:
            reader.error("date_fin", _("la fin précède le début."))
        resource_person = (
            ResourcePerson.objects.select_related("user__organisation")
            .filter(user__email=mentor_email)
            .first()
            if mentor_email
            else None
        )
        if mentor_email and resource_person is None:
            reader.error(
                "email_personne_ressource",
                _(
                    "aucune personne-ressource avec cette adresse : importez d'abord les "
                    "personnes-ressources."
                ),
            )
        self.check(reader)
        assert start is not None and resource_person is not None
        codes = [c.code for c in competences or []]
        key = parsing.transfer_key(reference, mentee_email, mentor_email, start, codes)
        self.once(key, reader.row.number)
        if reference and (
            Transfer.objects.filter(reference__iexact=reference).exclude(import_key=key).exists()
        ):
            raise RowRejected([_("Référence : déjà utilisée par un autre transfert.")])

        changes = Changes()
        mentee = self._mentee(mentee_email, mentee_first, mentee_last, mentee_org)
        transfer = Transfer.objects.filter(import_key=key).first()
        label = reference or f"{start:%d/%m/%Y} — {mentee.full_name}"
        if transfer is None:
            if status is None:
                last_day = end or start
                past = last_day < timezone.localdate()
                status = TransferStatus.COMPLETED if past else TransferStatus.PLANNED
            transfer = Transfer(
                reference=reference or None,
                mentee=mentee,
                mentee_organisation=mentee_org or mentee.organisation,
                resource_person=resource_person,
                mentor_organisation=mentor_org or resource_person.user.organisation,
                application=application,
                start_date=start,
                end_date=end,
                planned_days=planned,
                actual_days=actual,
                format=fmt or "",
                status=status,
                amount_paid=amount,
                source=TransferSource.IMPORT,
                import_key=key,
                created_by=self.actor,
            )
            _clean(transfer, exclude=["created_by"])
            transfer.save()
            if competences:
                transfer.competences.set(competences)
            return RowResult(reader.row.number, Outcome.CREATED, label)

        changes.set(transfer, "mentee", mentee, mentee.full_name)
        changes.set(transfer, "resource_person", resource_person, resource_person.user.full_name)
        changes.set(transfer, "start_date", start)
        for name, value in (
            ("end_date", end),
            ("planned_days", planned),
            ("actual_days", actual),
            ("amount_paid", amount),
        ):
            if value is not None:
                changes.set(transfer, name, value)
        if fmt:
            changes.set(transfer, "format", fmt, TransferFormat(fmt).label)
        if status:
            changes.set(transfer, "status", status, TransferStatus(status).label)
        if mentee_org is not None:
            changes.set(transfer, "mentee_organisation", mentee_org, mentee_org.name)
        if mentor_org is not None:
            changes.set(transfer, "mentor_organisation", mentor_org, mentor_org.name)
        if application is not None:
            changes.set(transfer, "application", application, application.reference)
        changes.save(transfer)
        if competences is not None:
            current = {c.pk: c for c in transfer.competences.all()}
            if set(current) != {c.pk for c in competences}:
                changes.note(
                    _("compétences"),
                    [c.label_fr for c in current.values()],
                    [c.label_fr for c in competences],
                )
                transfer.competences.set(competences)
        return _result(reader.row.number, label, False, changes)

    def _application(self, reader: RowReader) -> Application | None:
        reference = reader.text("reference_candidature")
        if not reference:
            return None
        application = Application.objects.filter(reference__iexact=reference).first()
        if application is None:
            reader.error(
                "reference_candidature",
                _("aucune candidature n'a la référence « %(value)s ».") % {"value": reference},
            )
        return application

    def _mentee(self, email: str, first: str, last: str, organisation: Organisation | None) -> User:
        """The mentee's account, created (without password, as an applicant) when unknown.
        An existing account is left as it is: people's details come from their own sheet."""
        user = User.objects.filter(email=email).select_related("organisation").first()
        if user is None:
            if not first or not last:
                raise RowRejected(
                    [
                        _(
                            "Prénom et nom de la personne mentorée sont obligatoires pour créer "
                            "son compte."
                        )
                    ]
                )
            user = User(email=email, first_name=first, last_name=last, organisation=organisation)
            user.set_unusable_password()
            _clean(user, exclude=["password"])
            user.save()
        RoleGrant.objects.get_or_create(user=user, role=Role.APPLICANT)
        return user


IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.ORGANISATIONS: OrganisationImporter,
    ImportKind.RESOURCE_PERSONS: ResourcePersonImporter,
    ImportKind.TRANSFERS: TransferImporter,
}


# --------------------------------------------------------------------------------------------
# Running an import
# --------------------------------------------------------------------------------------------


def read(kind: str, data: bytes, filename: str) -> MappedTable:
    """The file's rows with their columns recognised. Raises ImportRejected (French message)."""
    if kind not in IMPORTERS:
        raise ImportRejected(_("Type d'import inconnu."))
    if len(data) > max_bytes():
        raise ImportRejected(errors.file_message(ParseError("too_large", max=max_bytes())))
    try:
        table = parsing.read_table(data, filename, max_rows=max_rows())
        return parsing.map_columns(table, kind)
    except ParseError as error:
        raise ImportRejected(errors.file_message(error)) from error


def execute(mapped: MappedTable, *, actor: User | None, dry_run: bool) -> Report:
    """Import every row in one transaction, rolled back for a dry run or when a row fails."""
    importer = IMPORTERS[mapped.kind](actor)
    report = Report(kind=mapped.kind, ignored_columns=mapped.ignored)
    with transaction.atomic():
        for row in mapped.rows:
            report.rows.append(importer.run_row(row))
        if dry_run or report.has_errors:
            transaction.set_rollback(True)
    return report


def _store_counts(run: ImportRun, report: Report, *, private: bool) -> None:
    run.row_count = len(report.rows)
    run.created_count = report.count(Outcome.CREATED)
    run.updated_count = report.count(Outcome.UPDATED)
    run.unchanged_count = report.count(Outcome.UNCHANGED)
    run.error_count = report.count(Outcome.ERROR)
    run.report = report.as_json(private=private)


def _audit(run: ImportRun, actor: User | None) -> None:
    record(
        AuditAction.IMPORT,
        actor,
        run,
        kind=run.kind,
        via=run.via,
        rows=run.row_count,
        created=run.created_count,
        updated=run.updated_count,
        unchanged=run.unchanged_count,
    )


def purge_stale_previews(now: datetime.datetime | None = None) -> int:
    """Previews never confirmed hold a copy of a file with personal data: drop them."""
    cutoff = (now or timezone.now()) - PREVIEW_LIFETIME
    return ImportRun.objects.filter(status=ImportStatus.PREVIEW, created_at__lt=cutoff).delete()[0]


def preview(*, kind: str, data: bytes, filename: str, actor: User) -> ImportRun:
    """A dry run of the file, stored (with the file) until its author confirms or drops it."""
    purge_stale_previews()
    mapped = read(kind, data, filename)
    report = execute(mapped, actor=actor, dry_run=True)
    run = ImportRun(
        kind=kind,
        via=ImportVia.WEB,
        file_name=filename[:255],
        file_sha256=parsing.sha256(data),
        file_size=len(data),
        content=data,
        created_by=actor,
    )
    _store_counts(run, report, private=True)
    run.save()
    return run


def own_preview(pk: int, actor: User) -> ImportRun:
    """A preview is seen by its author only; others get a 404 as if it did not exist."""
    return get_object_or_404(
        ImportRun.objects.filter(status=ImportStatus.PREVIEW, created_by=actor), pk=pk
    )


def confirm(pk: int, actor: User) -> tuple[ImportRun, bool]:
    """Apply a preview; (run, applied). A second confirmation (a double click) does nothing:
    the run is locked and its state checked first. Raises ImportRejected when rows fail now
    (the database may have changed since the preview): nothing is written then."""
    with transaction.atomic():
        run = get_object_or_404(
            ImportRun.objects.select_for_update().filter(created_by=actor), pk=pk
        )
        if run.status != ImportStatus.PREVIEW:
            return run, False
        mapped = read(run.kind, bytes(run.content), run.file_name)
        # A savepoint inside: rolled back on its own when a row fails, the run's update stays.
        report = execute(mapped, actor=actor, dry_run=False)
        if report.has_errors:
            _store_counts(run, report, private=True)
            run.save(update_fields=[*_COUNT_FIELDS, "report"])
        else:
            run.status = ImportStatus.APPLIED
            run.applied_at = timezone.now()
            run.content = b""
            _store_counts(run, report, private=False)
            run.save()
            _audit(run, actor)
    if report.has_errors:
        raise ImportRejected(_("Des lignes sont en erreur : rien n'a été importé."), report)
    return run, True


_COUNT_FIELDS = ["row_count", "created_count", "updated_count", "unchanged_count", "error_count"]


def discard(pk: int, actor: User) -> None:
    own_preview(pk, actor).delete()


def import_file(
    kind: str, data: bytes, filename: str, *, actor: User | None, dry_run: bool
) -> tuple[Report, ImportRun | None]:
    """The management command's path: no preview step; a real run is recorded and audited."""
    mapped = read(kind, data, filename)
    with transaction.atomic():
        report = execute(mapped, actor=actor, dry_run=dry_run)
        if dry_run or report.has_errors:
            return report, None
        run = ImportRun(
            kind=kind,
            status=ImportStatus.APPLIED,
            via=ImportVia.COMMAND,
            file_name=filename[:255],
            file_sha256=parsing.sha256(data),
            file_size=len(data),
            created_by=actor,
            applied_at=timezone.now(),
        )
        _store_counts(run, report, private=False)
        run.save()
        _audit(run, actor)
    return report, run


def previously_applied(run: ImportRun) -> ImportRun | None:
    """The last applied import of the same file, to warn before importing it again."""
    return (
        ImportRun.objects.filter(
            status=ImportStatus.APPLIED, kind=run.kind, file_sha256=run.file_sha256
        )
        .exclude(pk=run.pk)
        .order_by("-applied_at")
        .first()
    )
