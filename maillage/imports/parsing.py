"""Reading spreadsheets and normalising their cells, with no Django import.

``read_table`` turns the bytes of a CSV or XLSX file into rows (checked by content, limited in
size and rows); ``map_columns`` recognises the columns of one kind of import whatever their
case, accents, spacing or order; the ``parse_*`` helpers turn cells into Python values the way
French spreadsheets write them ("1 250,50 €", "03/02/2024", "oui"). Problems are raised as
codes with parameters (``ParseError``, ``CellError``); ``maillage.imports.errors`` words them.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

Value = str | int | float | Decimal | datetime.date | datetime.datetime | bool | None

XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)
MAX_COLUMNS = 60
# An XLSX is a zip: refuse archives that would inflate far beyond what a real sheet needs.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Formatting often extends a sheet with empty rows: stop reading after this many in a row.
MAX_TRAILING_EMPTY_ROWS = 1000


class ParseError(Exception):
    """A problem with the whole file (format, encoding, size, columns)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class CellError(Exception):
    """A cell that cannot be read as the column expects."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "‘": "'", "ʼ": "'"})
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def clean_text(value: str) -> str:
    """Trimmed text with one plain space between words (no-break spaces included)."""
    return _SPACES.sub(" ", value.translate(_INVISIBLE)).strip()


def fold(value: str) -> str:
    """Lowercase, without accents or punctuation, words separated by one space.

    "  Régie Générale / Son " and "regie generale son" fold to the same string.
    """
    decomposed = unicodedata.normalize("NFKD", value.translate(_INVISIBLE).casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", plain.translate(_LIGATURES)).strip()


def normalise_header(value: object) -> str:
    """The key a column header is recognised by: "Date de début " -> "date_de_debut"."""
    return fold(str(value or "")).replace(" ", "_")


def normalise_email(value: str) -> str:
    """Addresses are compared lowercased, as the accounts store them."""
    return clean_text(value).lower()


# --------------------------------------------------------------------------------------------
# Columns of each kind of import
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the name used in code
    header: str  # the header written in the template file
    aliases: tuple[str, ...] = ()  # other normalised headers accepted
    required: bool = False

    @property
    def names(self) -> frozenset[str]:
        return frozenset({self.key, normalise_header(self.header), *self.aliases})


ORGANISATIONS = "organisations"
RESOURCE_PERSONS = "resource_persons"
TRANSFERS = "transfers"

_COMMUNE_COLUMNS = (
    Column("code_insee", "Code INSEE", ("insee", "code_commune", "code_commune_insee")),
    Column("code_postal", "Code postal", ("cp",)),
    Column("commune", "Commune", ("ville",)),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ORGANISATIONS: (
        Column(
            "nom",
            "Nom",
            ("nom_de_la_structure", "structure", "raison_sociale", "denomination"),
            required=True,
        ),
        Column("siret", "SIRET", ("numero_siret", "n_siret", "no_siret")),
        Column("forme_juridique", "Forme juridique", ("statut_juridique",)),
        *_COMMUNE_COLUMNS,
        Column("activites", "Activités", ("activite", "type_d_activite", "types_d_activite")),
        Column("effectif", "Effectif (ETP)", ("effectif_salarie", "etp")),
        Column(
            "adherente",
            "Adhérente de la fédération",
            ("adherente", "adherent", "adherente_federation", "adhesion"),
        ),
        Column("site_web", "Site web", ("site", "site_internet", "url")),
    ),
    RESOURCE_PERSONS: (
        Column(
            "email",
            "E-mail",
            ("e_mail", "courriel", "adresse_e_mail", "adresse_email", "mail"),
            required=True,
        ),
        Column("prenom", "Prénom", (), required=True),
        Column("nom", "Nom", ("nom_de_famille",), required=True),
        Column("telephone", "Téléphone", ("tel", "portable")),
        Column("poste", "Poste", ("fonction", "metier", "poste_occupe")),
        Column("siret_structure", "SIRET de la structure", ("siret",)),
        Column("structure", "Structure", ("nom_de_la_structure", "employeur")),
        *_COMMUNE_COLUMNS,
        Column(
            "annees_experience",
            "Années d'expérience",
            ("annees_experience", "experience", "annees_d_experience"),
        ),
        Column(
            "presentation", "Présentation", ("ce_que_je_peux_transmettre", "description", "resume")
        ),
        Column("competences", "Compétences", ("competence", "codes_competences")),
        Column("formats", "Formats", ("format", "formats_acceptes")),
        Column(
            "jours_par_an",
            "Jours disponibles par an",
            ("jours_par_an", "jours_disponibles", "disponibilite_jours"),
        ),
        Column(
            "rayon_km",
            "Rayon de déplacement (km)",
            ("rayon_km", "distance_km", "rayon_de_deplacement", "distance_de_deplacement_km"),
        ),
        Column("statut", "Statut", ("validation", "statut_de_validation")),
    ),
    TRANSFERS: (
        Column("reference", "Référence", ("ref", "numero", "identifiant", "reference_transfert")),
        Column(
            "email_mentore",
            "E-mail mentoré·e",
            ("email_mentore", "e_mail_mentore", "email_mentoree", "courriel_mentore_e"),
            required=True,
        ),
        Column("prenom_mentore", "Prénom mentoré·e", ("prenom_mentore", "prenom_mentoree")),
        Column("nom_mentore", "Nom mentoré·e", ("nom_mentore", "nom_mentoree")),
        Column(
            "siret_structure_mentoree",
            "SIRET structure mentorée",
            ("siret_mentore", "siret_structure_mentore", "siret_mentore_e"),
        ),
        Column("structure_mentoree", "Structure mentorée", ("structure_mentore",)),
        Column(
            "email_personne_ressource",
            "E-mail personne-ressource",
            ("e_mail_personne_ressource", "email_pr", "courriel_personne_ressource"),
            required=True,
        ),
        Column(
            "siret_structure_personne_ressource",
            "SIRET structure personne-ressource",
            ("siret_pr", "siret_structure_pr"),
        ),
        Column("competences", "Compétences", ("competence", "codes_competences")),
        Column("date_debut", "Date de début", ("debut", "date_debut"), required=True),
        Column("date_fin", "Date de fin", ("fin", "date_fin")),
        Column("jours_prevus", "Jours prévus", ("nombre_de_jours_prevus", "nb_jours_prevus")),
        Column(
            "jours_realises", "Jours réalisés", ("nombre_de_jours_realises", "nb_jours_realises")
        ),
        Column("format", "Format", ("modalite",)),
        Column("statut", "Statut", ("etat",)),
        Column(
            "montant_verse",
            "Montant versé (€)",
            ("montant_verse", "montant", "montant_eur", "montant_paye"),
        ),
        Column("reference_candidature", "Référence candidature", ("candidature",)),
    ),
}
KINDS = tuple(COLUMNS)


@dataclass(frozen=True)
class Table:
    """Rows of the first sheet; ``number`` is the row number the spreadsheet shows (header 1)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Value, ...]], ...]


@dataclass(frozen=True)
class MappedRow:
    number: int
    values: Mapping[str, Value]

    def has(self, key: str) -> bool:
        """The cell exists and is not blank."""
        return not is_blank(self.values.get(key))


@dataclass
class MappedTable:
    kind: str
    columns: dict[str, int]  # column key -> index in the file
    ignored: list[str] = field(default_factory=list)  # headers not recognised
    rows: list[MappedRow] = field(default_factory=list)


def is_blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value))


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def file_format(data: bytes, filename: str) -> str:
    """ "csv" or "xlsx", from the content; the extension must agree with it."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise ParseError("empty")
    if data.startswith(OLE_SIGNATURE) or extension == "xls":
        raise ParseError("xls")
    if extension not in ("csv", "xlsx"):
        raise ParseError("extension", extension=extension)
    is_zip = data.startswith(XLSX_SIGNATURE)
    if extension == "xlsx" and not is_zip:
        raise ParseError("mismatch", extension=extension)
    if extension == "csv" and (is_zip or b"\x00" in data[:4096] and not _utf16_bom(data)):
        raise ParseError("mismatch", extension=extension)
    return extension


def _utf16_bom(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff"))


def read_table(data: bytes, filename: str, *, max_rows: int) -> Table:
    """The header and the non-empty rows of a CSV or XLSX file (at most ``max_rows``)."""
    kind = file_format(data, filename)
    raw = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    return _table(raw, max_rows)


def _table(raw: Iterator[tuple[Value, ...]], max_rows: int) -> Table:
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Value, ...]]] = []
    empty_run = 0
    for number, cells in enumerate(raw, start=1):
        if len(cells) > MAX_COLUMNS and any(not is_blank(c) for c in cells[MAX_COLUMNS:]):
            raise ParseError("too_many_columns", max=MAX_COLUMNS)
        cells = cells[:MAX_COLUMNS]
        if all(is_blank(cell) for cell in cells):
            empty_run += 1
            if empty_run > MAX_TRAILING_EMPTY_ROWS:
                break
            continue
        empty_run = 0
        if headers is None:
            headers = tuple(clean_text(str(c)) if not is_blank(c) else "" for c in cells)
            continue
        if len(rows) >= max_rows:
            raise ParseError("too_many_rows", max=max_rows)
        rows.append((number, tuple(cells)))
    if headers is None:
        raise ParseError("empty")
    return Table(headers=headers, rows=tuple(rows))


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 (older French Excel)."""
    if _utf16_bom(data):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ParseError("encoding") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ParseError("encoding") from error


def sniff_delimiter(text: str) -> str:
    """ ";" (French Excel), "," or a tab: the one that splits the header line into most cells."""
    first_line = next(iter(text.splitlines()), "")
    best, best_count = ";", 0
    for candidate in (";", ",", "\t"):
        count = len(next(csv.reader([first_line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _csv_rows(data: bytes) -> Iterator[tuple[Value, ...]]:
    text = decode_csv(data)
    if "\x00" in text:
        raise ParseError("mismatch", extension="csv")
    # strict: a stray quote is reported with its line rather than swallowing the next rows.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    try:
        for cells in reader:
            yield tuple(cells)
    except csv.Error as error:
        raise ParseError("csv", line=reader.line_num) from error


def _xlsx_rows(data: bytes) -> Iterator[tuple[Value, ...]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ParseError("xlsx") from error
    if "xl/workbook.xml" not in names:
        raise ParseError("xlsx")
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise ParseError("too_large_inflated")

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise ParseError("xlsx") from error
    try:
        if not workbook.worksheets:
            raise ParseError("empty")
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows(values_only=True):
            yield tuple(cells)
    finally:
        workbook.close()


def map_columns(table: Table, kind: str) -> MappedTable:
    """Recognise the columns of ``kind``; raise when required ones are missing or doubled."""
    by_name = {name: column for column in COLUMNS[kind] for name in column.names}
    columns: dict[str, int] = {}
    ignored: list[str] = []
    duplicates: list[str] = []
    for index, header in enumerate(table.headers):
        column = by_name.get(normalise_header(header))
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column.key in columns:
            duplicates.append(column.header)
            continue
        columns[column.key] = index
    if duplicates:
        raise ParseError("duplicate_columns", columns=duplicates)
    missing = [c.header for c in COLUMNS[kind] if c.required and c.key not in columns]
    if missing:
        raise ParseError("missing_columns", columns=missing)
    mapped = MappedTable(kind=kind, columns=columns, ignored=ignored)
    for number, cells in table.rows:
        values = {
            key: cells[index] if index < len(cells) else None for key, index in columns.items()
        }
        mapped.rows.append(MappedRow(number=number, values=values))
    return mapped


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def text(value: Value) -> str:
    """A cell as text; whole numbers typed in a number cell lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return clean_text(str(value))


def digits(value: Value, width: int = 0) -> str:
    """Digits of an identifier (SIRET, INSEE code); a number cell lost its leading zeros."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text(value).zfill(width)
    return re.sub(r"[\s.\-\u00a0\u202f]", "", text(value))


def insee_code(value: Value) -> str:
    code = digits(value, 5).upper()
    return code.zfill(5) if code.isdigit() and len(code) < 5 else code


_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})$"), ("d", "m", "yy")),
)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value: Value) -> datetime.date | None:
    """Dates as French spreadsheets hold them: "03/02/2024", "2024-02-03", a date cell, or
    the day number of a date cell read as a number."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # 1954-2119: an Excel day number
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise CellError("date", value=text(value))
    raw = text(value)
    # "2024-02-03 00:00:00" or "2024-02-03T10:00": the day is enough.
    raw = re.split(r"[ T]", raw, maxsplit=1)[0] if re.match(r"^\d{4}-", raw) else raw
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
        year = parts.get("y") or 2000 + parts["yy"]
        try:
            return datetime.date(year, parts["m"], parts["d"])
        except ValueError as error:
            raise CellError("date", value=raw) from error
    raise CellError("date", value=raw)


def parse_decimal(value: Value) -> Decimal | None:
    """ "1 250,50 €", "1250.5", "1.250,50" or a number cell."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("number", value=text(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Spreadsheet arithmetic leaves binary noise ("1250.4999999999"): six places are plenty.
        return Decimal(repr(round(value, 6)))
    if isinstance(value, Decimal):
        return value
    raw = re.sub(r"[\s\u00a0\u202f€]|eur(os?)?$", "", text(value).lower())
    if "," in raw and "." in raw:
        # The last separator is the decimal one; the other groups thousands.
        thousands = "." if raw.rfind(",") > raw.rfind(".") else ","
        raw = raw.replace(thousands, "")
    raw = raw.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", raw):
        raise CellError("number", value=text(value))
    try:
        return Decimal(raw)
    except InvalidOperation as error:
        raise CellError("number", value=text(value)) from error


def parse_int(value: Value) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError("integer", value=text(value))
    return int(number)


_TRUE = frozenset({"oui", "o", "x", "vrai", "1", "yes", "y", "true", "adherente", "adherent"})
_FALSE = frozenset({"non", "n", "faux", "0", "no", "false", "-"})


def parse_bool(value: Value) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    folded = fold(text(value))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError("boolean", value=text(value))


_LIST_SEPARATORS = re.compile(r"[;|\n\r]+")


def split_list(value: Value) -> list[str]:
    """Items of a list cell, separated by ";", "|" or line breaks (labels may hold commas)."""
    if is_blank(value):
        return []
    raw = value if isinstance(value, str) else text(value)
    return [item for item in (clean_text(part) for part in _LIST_SEPARATORS.split(raw)) if item]


def match_choice(
    value: str, choices: Iterable[tuple[str, str]], aliases: Mapping[str, str] | None = None
) -> str | None:
    """The code of ``choices`` (code, label) that ``value`` names by code, label or alias,
    ignoring case, accents and punctuation; None when nothing matches."""
    wanted = fold(value)
    if not wanted:
        return None
    for code, label in choices:
        if wanted in (fold(code), fold(label)):
            return code
    return (aliases or {}).get(wanted)


# --------------------------------------------------------------------------------------------
# Identity of rows across imports
# --------------------------------------------------------------------------------------------


def organisation_key(siret: str, name: str, insee: str) -> str:
    """The SIRET when known, else the folded name in its commune."""
    return f"siret:{siret}" if siret else f"name:{fold(name)}@{insee}"


def normalise_reference(reference: str) -> str:
    return fold(reference).replace(" ", "-")


def transfer_key(
    reference: str,
    mentee_email: str,
    resource_person_email: str,
    start: datetime.date,
    competence_codes: Sequence[str],
) -> str:
    """ "ref:<reference>" when the sheet numbers its transfers, else a hash of what identifies
    a transfer: who, with whom, from when, on what (order and case do not matter)."""
    if clean_text(reference):
        return f"ref:{normalise_reference(reference)}"[:80]
    parts = [
        normalise_email(mentee_email),
        normalise_email(resource_person_email),
        start.isoformat(),
        ",".join(sorted({code.strip().lower() for code in competence_codes})),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"hash:{digest}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def template_csv(kind: str) -> bytes:
    """The template file of ``kind``: its headers, ";"-separated, UTF-8 with BOM (what Excel
    opens with accents intact)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(
        [column.header for column in COLUMNS[kind]]
    )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
