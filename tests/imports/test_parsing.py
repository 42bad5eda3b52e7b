"""The parsers (no database): file formats, encodings, delimiters, headers, cells, keys."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.imports import parsing
from maillage.imports.parsing import CellError, ParseError

from .conftest import ORGANISATION_HEADERS, csv_bytes, xlsx_bytes

# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def test_french_excel_csv_with_semicolons_and_bom():
    data = csv_bytes([["Nom", "Commune"], ["Le Bikini", "Ramonville-Saint-Agne"]])
    assert data.startswith(b"\xef\xbb\xbf")
    table = parsing.read_table(data, "structures.csv", max_rows=10)
    assert table.headers == ("Nom", "Commune")
    assert table.rows == ((2, ("Le Bikini", "Ramonville-Saint-Agne")),)


def test_windows_1252_and_commas_are_understood():
    data = csv_bytes(
        [["Nom", "Commune"], ["Cigalière", "Sérignan"]], delimiter=",", encoding="cp1252"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = parsing.read_table(data, "structures.CSV", max_rows=10)
    assert table.rows[0][1] == ("Cigalière", "Sérignan")


def test_utf16_tab_separated_unicode_text_from_excel():
    data = "Nom\tCommune\r\nLa Dépêche\tToulouse\r\n".encode("utf-16")
    table = parsing.read_table(data, "export.csv", max_rows=10)
    assert table.rows[0][1] == ("La Dépêche", "Toulouse")


def test_row_numbers_are_those_of_the_spreadsheet_even_with_blank_rows_and_line_breaks():
    data = csv_bytes([["Nom", "Note"], ["A", "deux\nlignes"], [], ["", ""], ["B", "x"]])
    table = parsing.read_table(data, "f.csv", max_rows=10)
    assert [number for number, _cells in table.rows] == [2, 5]


def test_xlsx_is_read_by_content_with_typed_cells():
    data = xlsx_bytes(
        [
            ["Nom", "Date de début", "Code INSEE", "Montant"],
            ["Atelier", datetime.datetime(2024, 2, 3), 9122, 1250.5],
        ]
    )
    table = parsing.read_table(data, "transferts.xlsx", max_rows=10)
    number, cells = table.rows[0]
    assert number == 2
    assert parsing.parse_date(cells[1]) == datetime.date(2024, 2, 3)
    assert parsing.insee_code(cells[2]) == "09122"
    assert parsing.parse_decimal(cells[3]) == Decimal("1250.5")


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "vide.csv", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ancien.xls", "xls"),
        (b"Nom;SIRET\r\n", "structures.ods", "extension"),
        (b"Nom;SIRET\r\n", "structures.xlsx", "mismatch"),
        (b"PK\x03\x04 not really a zip", "structures.csv", "mismatch"),
        (b"%PDF-1.4 \x00\x00\x00", "structures.csv", "mismatch"),
        (b"PK\x03\x04 not really a zip", "structures.xlsx", "xlsx"),
        (b"\r\n;;\r\n\r\n", "vide.csv", "empty"),
    ],
)
def test_files_are_checked_by_content(data, filename, code):
    with pytest.raises(ParseError) as error:
        parsing.read_table(data, filename, max_rows=10)
    assert error.value.code == code


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ParseError) as error:
        parsing.read_table(buffer.getvalue(), "faux.xlsx", max_rows=10)
    assert error.value.code == "xlsx"


def test_a_workbook_inflating_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_UNCOMPRESSED_BYTES", 1000)
    data = xlsx_bytes([["Nom"], *[[f"Structure {i}"] for i in range(200)]])
    with pytest.raises(ParseError) as error:
        parsing.read_table(data, "gros.xlsx", max_rows=1000)
    assert error.value.code == "too_large_inflated"


def test_row_and_column_limits():
    rows = [["Nom"], *[[f"S{i}"] for i in range(11)]]
    with pytest.raises(ParseError) as error:
        parsing.read_table(csv_bytes(rows), "f.csv", max_rows=10)
    assert error.value.code == "too_many_rows" and error.value.params == {"max": 10}
    assert len(parsing.read_table(csv_bytes(rows[:11]), "f.csv", max_rows=10).rows) == 10
    wide = [[f"c{i}" for i in range(parsing.MAX_COLUMNS + 1)]]
    with pytest.raises(ParseError) as error:
        parsing.read_table(csv_bytes(wide), "f.csv", max_rows=10)
    assert error.value.code == "too_many_columns"


def test_a_stray_quote_is_reported_with_its_line_instead_of_swallowing_rows():
    with pytest.raises(ParseError) as error:
        parsing.read_table(b'Nom;Commune\r\n"Le" Bikini;Toulouse\r\n', "f.csv", max_rows=10)
    assert error.value.code == "csv" and error.value.params == {"line": 2}
    with pytest.raises(ParseError) as error:
        parsing.read_table(b'Nom;Commune\r\n"Le Bikini;Toulouse\r\nA;B\r\n', "f.csv", max_rows=9)
    assert error.value.code == "csv"
    # A quote inside an unquoted cell is just a character.
    table = parsing.read_table(b'Nom;Commune\r\nLe "Bikini";Toulouse\r\n', "f.csv", max_rows=9)
    assert table.rows[0][1] == ('Le "Bikini"', "Toulouse")


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def _table(headers, *rows):
    return parsing.Table(
        headers=tuple(headers), rows=tuple((i + 2, tuple(r)) for i, r in enumerate(rows))
    )


def test_headers_are_recognised_by_alias_and_unknown_ones_ignored():
    table = _table(
        ["  raison sociale ", "N° SIRET", "CP", "Ville", "Remarques"], ["A", "", "", "", ""]
    )
    mapped = parsing.map_columns(table, parsing.ORGANISATIONS)
    assert mapped.columns == {"nom": 0, "siret": 1, "code_postal": 2, "commune": 3}
    assert mapped.ignored == ["Remarques"]


def test_missing_and_doubled_columns_are_file_errors():
    with pytest.raises(ParseError) as error:
        parsing.map_columns(_table(["SIRET"]), parsing.ORGANISATIONS)
    assert error.value.code == "missing_columns" and error.value.params["columns"] == ["Nom"]
    with pytest.raises(ParseError) as error:
        parsing.map_columns(_table(["Nom", "nom "]), parsing.ORGANISATIONS)
    assert error.value.code == "duplicate_columns"


def _variants(header):
    """Ways people retype a header: case, accents kept or not, spaces around, separators."""
    return st.tuples(
        st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
        st.sampled_from(["", " ", "  ", "\u00a0"]),
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from([" ", "_", "-", "  "]),
    ).map(lambda v: v[1] + v[0](header).replace(" ", v[3]) + v[2])


@st.composite
def shuffled_headers(draw, kind):
    columns = list(parsing.COLUMNS[kind])
    order = draw(st.permutations(columns))
    return [(column.key, draw(_variants(column.header))) for column in order]


@pytest.mark.parametrize("kind", parsing.KINDS)
@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_any_order_case_or_spacing_of_headers_maps_to_the_same_columns(kind, data):
    headers = data.draw(shuffled_headers(kind))
    values = [f"valeur {i}" for i in range(len(headers))]
    mapped = parsing.map_columns(_table([h for _k, h in headers], values), kind)
    assert mapped.ignored == []
    row = mapped.rows[0].values
    for index, (key, _header) in enumerate(headers):
        assert row[key] == values[index]


@given(
    st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(
                    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\u200b"
                ),
                max_size=12,
            ).map(parsing.clean_text),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([";", ",", "\t"]),
    st.sampled_from(["utf-8-sig", "utf-8", "utf-16"]),
)
@settings(max_examples=80, deadline=None)
def test_csv_round_trip_whatever_the_delimiter_and_encoding(rows, delimiter, encoding):
    header = ["Nom", "Commune", "Note"]
    data = csv_bytes([header, *rows], delimiter=delimiter, encoding=encoding)
    table = parsing.read_table(data, "f.csv", max_rows=100)
    assert table.headers == tuple(header)
    expected = [tuple(r) for r in rows if any(r)]
    assert [cells for _n, cells in table.rows] == expected


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/02/2024", datetime.date(2024, 2, 3)),
        ("3/2/2024", datetime.date(2024, 2, 3)),
        ("03-02-2024", datetime.date(2024, 2, 3)),
        ("03.02.24", datetime.date(2024, 2, 3)),
        ("2024-02-03", datetime.date(2024, 2, 3)),
        ("2024-02-03 00:00:00", datetime.date(2024, 2, 3)),
        (45325, datetime.date(2024, 2, 3)),
        (datetime.date(2024, 2, 3), datetime.date(2024, 2, 3)),
        ("", None),
    ],
)
def test_dates(raw, expected):
    assert parsing.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2024", "demain", "2024/13/01", 12])
def test_bad_dates(raw):
    with pytest.raises(CellError):
        parsing.parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 250,50 €", Decimal("1250.50")),
        ("1\u202f250,5", Decimal("1250.5")),
        ("1.250,50", Decimal("1250.50")),
        ("1,250.50", Decimal("1250.50")),
        ("2,5", Decimal("2.5")),
        ("250 euros", Decimal("250")),
        (3, Decimal(3)),
        (1250.4999999999998, Decimal("1250.5")),
        ("", None),
    ],
)
def test_decimals(raw, expected):
    assert parsing.parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["deux", "1,2,3", "--1", True])
def test_bad_decimals(raw):
    with pytest.raises(CellError):
        parsing.parse_decimal(raw)


def test_integers_booleans_lists_and_identifiers():
    assert parsing.parse_int("12") == 12
    with pytest.raises(CellError):
        parsing.parse_int("2,5")
    assert [parsing.parse_bool(v) for v in ["Oui", "X", "non", "", "Adhérente"]] == [
        True,
        True,
        False,
        None,
        True,
    ]
    with pytest.raises(CellError):
        parsing.parse_bool("peut-être")
    assert parsing.split_list("Budget ; Trésorerie|Paie\nGUSO;;") == [
        "Budget",
        "Trésorerie",
        "Paie",
        "GUSO",
    ]
    assert parsing.split_list("Écriture, composition et arrangement") == [
        "Écriture, composition et arrangement"
    ]
    assert parsing.digits("732 829 320 00074") == "73282932000074"
    assert parsing.digits(73282932000074.0, 14) == "73282932000074"
    assert parsing.insee_code("9122") == "09122" and parsing.insee_code(" 31555 ") == "31555"
    assert parsing.text(12.0) == "12" and parsing.text("  a \u00a0 b ") == "a b"


@given(st.text(max_size=30))
def test_fold_is_idempotent_and_ignores_case_and_accents(value):
    once = parsing.fold(value)
    assert parsing.fold(once) == once
    assert parsing.fold(value.upper()) == parsing.fold(value.lower()) or not value.isascii()


def test_match_choice_by_code_label_or_alias():
    choices = [("sur_site", "Sur site, chez le/la mentoré·e"), ("distance", "À distance")]
    assert parsing.match_choice("A DISTANCE", choices) == "distance"
    assert parsing.match_choice("sur_site", choices) == "sur_site"
    assert parsing.match_choice("visio", choices, {"visio": "distance"}) == "distance"
    assert parsing.match_choice("téléportation", choices) is None


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

emails = st.emails().map(str)


@given(
    mentee=emails,
    mentor=emails,
    start=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 1, 1)),
    codes=st.lists(
        st.sampled_from(["regie.son", "administration.budget", "paie.guso"]), max_size=3
    ),
    data=st.data(),
)
def test_transfer_key_ignores_case_spacing_and_competence_order(mentee, mentor, start, codes, data):
    key = parsing.transfer_key("", mentee, mentor, start, codes)
    shuffled = data.draw(st.permutations(codes))
    same = parsing.transfer_key(
        "  ", f" {mentee.upper()} ", mentor.title(), start, [c.upper() for c in shuffled]
    )
    assert key == same and key.startswith("hash:") and len(key) <= 80
    later = parsing.transfer_key("", mentee, mentor, start + datetime.timedelta(days=1), codes)
    assert later != key


def test_an_explicit_reference_wins_over_the_hash():
    start = datetime.date(2024, 1, 1)
    key = parsing.transfer_key(" TSF 2023 / 12 ", "a@x.invalid", "b@x.invalid", start, [])
    assert key == "ref:tsf-2023-12"
    assert key == parsing.transfer_key("tsf-2023-12", "c@x.invalid", "d@x.invalid", start, ["x"])


def test_organisation_key():
    assert parsing.organisation_key("73282932000074", "X", "31555") == "siret:73282932000074"
    assert parsing.organisation_key("", " Le  Bikini ", "31446") == parsing.organisation_key(
        "", "LE BIKINI", "31446"
    )


def test_template_files_hold_the_headers_in_excel_friendly_csv():
    data = parsing.template_csv(parsing.ORGANISATIONS)
    assert data.startswith("\ufeff".encode())
    table = parsing.read_table(data + b"A;;;31555\r\n", "modele.csv", max_rows=5)
    assert list(table.headers) == [c.header for c in parsing.COLUMNS[parsing.ORGANISATIONS]]
    assert list(table.headers)[: len(ORGANISATION_HEADERS)] == ORGANISATION_HEADERS
