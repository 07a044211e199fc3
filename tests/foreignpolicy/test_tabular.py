import io
import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from foreignpolicy.tabular import (
    FileProblem,
    csv_pieces,
    json_pieces,
    read_csv,
    read_table,
    restore,
    write_csv,
    write_xlsx,
)
from tests import hostile_files
from tests.hostile_files import MAIN, cells, sheet, workbook


def test_utf8_with_and_without_byte_order_mark_is_read():
    for data in ("slug,name_es\nx,Perú\n".encode(), "slug,name_es\nx,Perú\n".encode("utf-8-sig")):
        dataset = read_csv(data)
        assert dataset.headers == ["slug", "name_es"]
        assert dataset[0] == ("x", "Perú")


def test_windows_1252_as_excel_saves_it_is_read():
    dataset = read_csv("slug;name_es\r\nx;Dirección de Asuntos Económicos – DAE\r\n".encode("cp1252"))
    assert dataset[0] == ("x", "Dirección de Asuntos Económicos – DAE")


def test_semicolon_delimited_files_are_detected():
    dataset = read_csv(b"slug;title_en;parties\r\npe-cl;Peru, Chile;CL\r\n")
    assert dataset.headers == ["slug", "title_en", "parties"]
    assert dataset[0] == ("pe-cl", "Peru, Chile", "CL")


def test_quoted_cells_keep_delimiters_and_line_breaks():
    dataset = read_csv(b'slug,summary_en\r\nx,"First line, with a comma\r\nsecond ""line"""\r\n')
    assert dataset[0][1] == 'First line, with a comma\r\nsecond "line"'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (b"slug,title_en\r\n", "The file has a header row but no rows of data."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file"),
        (b"slug,title_en\nx,a,b\n", "Row 2 has 3 cells but the header has 2 columns."),
        (b"slug,title_en,type\nx,a,b\ny\n", "Row 3 has 1 cells but the header has 3 columns."),
    ],
)
def test_unreadable_files_get_a_file_level_reason(data, message):
    with pytest.raises(FileProblem, match=message[:15]) as problem:
        read_csv(data)
    assert message in str(problem.value)


def test_blank_rows_keep_the_spreadsheet_row_numbers():
    dataset = read_csv(b"slug\r\na\r\n,\r\nb\r\n\r\n")
    assert list(dataset) == [("a",), ("",), ("b",)]


def test_the_export_is_utf8_with_a_byte_order_mark_and_commas():
    import tablib

    data = write_csv(tablib.Dataset(("pe", "Perú; Chile"), headers=["slug", "name_es"]))
    assert data == "\ufeffslug,name_es\r\npe,Perú; Chile\r\n".encode()


def xlsx(rows):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_first_sheet_of_an_excel_file_is_read_with_its_dates_and_numbers():
    from datetime import datetime

    data = xlsx([["slug", "signed_on", "position", "published"], ["pe-cl", datetime(2006, 8, 22), 10, True]])
    dataset = read_table(data, "Acuerdos.XLSX")
    assert dataset.headers == ["slug", "signed_on", "position", "published"]
    assert dataset[0] == ("pe-cl", "2006-08-22", "10", "yes")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not an Excel .xlsx file, or it is damaged."),
        (b"PK\x03\x04broken", "This is not an Excel .xlsx file, or it is damaged."),
        (b"not a zip", "This file holds text (such as CSV), although its name ends in .xlsx."),
    ],
)
def test_a_damaged_excel_file_gets_a_file_level_reason(data, message):
    with pytest.raises(FileProblem, match=re.escape(message)):
        read_table(data, "file.xlsx")


def test_an_empty_excel_file_is_refused():
    with pytest.raises(FileProblem, match="The file is empty."):
        read_table(xlsx([]), "file.xlsx")


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "'=already quoted", "'plain"])
def test_formula_like_cells_are_neutralised_on_export_and_restored_on_import(text):
    import tablib

    dataset = tablib.Dataset((text, "plain"), headers=["summary_en", "title_en"])
    exported = write_csv(dataset)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert f"'{text}".encode() in exported or f"\"'{text}".encode() in exported
    assert restore(read_csv(exported)[0][0]) == text
    workbook = io.BytesIO()
    write_xlsx(dataset.headers, dataset, workbook)
    from_excel = read_table(workbook.getvalue(), "x.xlsx")[0][0]
    assert restore(from_excel) == text.replace("\r", "\n")


ROWS = [
    ["pe-cl", "TLC Perú–Chile", '"quoted", with comma', "=1+1"],
    ["x", "", "two\nlines\ttab \u2028", "ñ \\ back/slash \x00"],
]


@pytest.mark.parametrize("count", [0, 1, 2, 1201])
def test_the_json_pieces_are_exactly_what_json_dumps_writes_of_the_whole_list(count):
    headers = ["slug", "title_es", "summary_en", "summary_es"]
    rows = [ROWS[n % 2] for n in range(count)]
    expected = json.dumps([dict(zip(headers, row, strict=True)) for row in rows], ensure_ascii=False, indent=1)
    assert b"".join(json_pieces(headers, iter(rows))) == expected.encode()


def test_the_csv_pieces_start_with_the_header_before_any_row_is_read():
    def rows():
        raise AssertionError("read too early")
        yield

    pieces = csv_pieces(["slug", "name_es"], rows())
    assert next(pieces) == b"\xef\xbb\xbfslug,name_es\r\n"


def test_windows_1252_spanish_text_is_read_with_every_accent_and_quote():
    text = "slug;title_es;summary_es\r\npe;¿Año de la PERÚ”?;«Acción» – “Señor” café… Nº 1\r\n"
    dataset = read_csv(text.encode("cp1252"))
    assert dataset[0] == ("pe", "¿Año de la PERÚ”?", "«Acción» – “Señor” café… Nº 1")


def test_utf8_that_is_damaged_is_refused_not_read_as_windows_1252():
    data = "slug,title_es\r\npe,Perú\r\nec,Ecuador\r\ncl,Chile ".encode() + b"\xe9\r\n"
    with pytest.raises(FileProblem) as problem:
        read_csv(data)
    assert str(problem.value).startswith("Row 4: the file is UTF-8 text, but byte 47 is not (a character cut short).")
    assert problem.value.row == 4


def test_the_row_of_a_damaged_byte_counts_records_not_lines():
    data = 'slug,summary_en\r\npe,"one\r\ntwo\r\nthree"\r\ncl,Perú '.encode() + b"\xc0\xaf\r\n"
    with pytest.raises(FileProblem, match=r"^Row 3: the file is UTF-8 text"):
        read_csv(data)


def test_a_control_character_is_refused_with_its_row_and_column():
    with pytest.raises(FileProblem) as problem:
        read_csv(b"slug,title_en\r\npe,Peru\r\ncl,Chi\x07le\r\n")
    assert str(problem.value).startswith("Row 3, column “title_en”: the cell holds a control character (U+0007)")
    assert (problem.value.row, problem.value.column) == (3, 2)


@pytest.mark.parametrize("before", [0, 1024 * 1024 - 30, 1024 * 1024 - 5, 1024 * 1024 + 10])
def test_a_control_character_is_found_wherever_the_file_is_read_in_pieces(before):
    # The text is read a megabyte at a time: a row may start in one piece and end in the next.
    rows = (before // 10) + 1
    head = b"slug,title_en\r\n" + b"".join(b"r%06d,ok\r\n" % n for n in range(rows))
    with pytest.raises(FileProblem) as problem:
        read_csv(head + b'bad,"' + b"x" * 40 + b"\x1b" + b'"\r\n')
    assert "column “title_en”: the cell holds a control character (U+001B)" in str(problem.value)
    assert (problem.value.row, problem.value.column) == (rows + 2, 2)


def test_tabs_and_line_breaks_in_cells_are_not_control_characters():
    dataset = read_csv(b'slug,summary_en\r\npe,"a\tb\r\nc\nd\re"\r\n')
    assert dataset[0][1] == "a\tb\r\nc\nd\re"


def test_trailing_empty_cells_beyond_the_column_limit_are_ignored(settings):
    settings.IMPORT_MAX_COLUMNS = 3
    dataset = read_csv(b"slug,title_en" + b"," * 40 + b"\r\npe,Peru" + b"," * 40 + b"\r\n")
    assert dataset.headers == ["slug", "title_en"]
    assert dataset[0] == ("pe", "Peru")


@pytest.mark.parametrize(
    ("setting", "value", "good", "bad", "message"),
    [
        ("IMPORT_MAX_ROWS", 2, b"slug\na\nb\n", b"slug\na\nb\nc\n", "The file has more than 2 rows of data"),
        ("IMPORT_MAX_COLUMNS", 2, b"a,b\nx,y\n", b"a,b,c\nx,y,z\n", "The header (row 1) has 3 columns; at most 2"),
        (
            "IMPORT_MAX_CELL_CHARS",
            5,
            b"slug\nabcde\n",
            b"slug\nabcdef\n",
            "Row 2, column “slug”: the cell holds 6 characters; a cell may hold at most 5.",
        ),
        ("IMPORT_MAX_CELL_CHARS", 5, b"slug\nabcde\n", b"slug\n" + b"x" * 21, "Row 2 is longer than 20 characters"),
    ],
)
def test_each_limit_is_a_setting_that_allows_up_to_it(settings, setting, value, good, bad, message):
    setattr(settings, setting, value)
    read_csv(good)
    with pytest.raises(FileProblem, match=re.escape(message)):
        read_csv(bad)


def test_the_unpacked_size_of_a_workbook_is_a_setting(settings):
    data = workbook()
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 2400
    assert len(read_table(data, "x.xlsx")) == 1
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 2048
    with pytest.raises(FileProblem, match="The workbook unpacks to more than 2.0\xa0KB"):
        read_table(data, "x.xlsx")


def test_many_rows_of_the_wrong_width_are_listed_up_to_twenty():
    with pytest.raises(FileProblem) as problem:
        read_csv(b"slug,title_en\n" + b"x,a,b\n" * 25)
    message = str(problem.value)
    assert message.count("has 3 cells but the header has 2 columns") == 20
    assert message.endswith(
        "Row 21 has 3 cells but the header has 2 columns. 5 more rows have the wrong number of cells."
    )


def test_a_workbook_with_shared_strings_a_gap_and_a_formatted_last_row_is_read():
    strings = f'<sst xmlns="{MAIN}"><si><t>slug</t></si><si><t>pe-cl</t></si></sst>'
    body = sheet([cells("slug", "title_en")]).replace(
        "</sheetData>",
        '<row r="2"><c r="A2" t="s"><v>1</v></c></row><row r="4"><c r="A4" t="s"><v>1</v></c></row>'
        '<row r="900000"><c r="A900000" s="0"/></row></sheetData>',
    )
    dataset = read_table(workbook(body, strings=strings), "x.xlsx")
    assert list(dataset) == [("pe-cl", ""), ("", ""), ("pe-cl", "")]


def test_a_workbook_with_namespace_prefixes_is_read_and_limited_the_same(settings):
    prefixed = sheet([cells("slug"), cells("pe-cl")]).replace("<", "<x:").replace("<x:/", "</x:")
    prefixed = prefixed.replace('xmlns="', 'xmlns:x="')
    assert list(read_table(workbook(prefixed), "x.xlsx")) == [("pe-cl",)]
    settings.IMPORT_MAX_COLUMNS = 2
    wide = prefixed.replace("<x:c ", "<x:c/><x:c/><x:c/><x:c/><x:c/><x:c/><x:c/><x:c/><x:c/><x:c ", 1)
    with pytest.raises(FileProblem, match="Row 1 has more than 8 cells, filled or formatted"):
        read_table(workbook(wide), "x.xlsx")


def test_a_sheet_claiming_every_cell_excel_has_is_read_as_the_rows_it_holds():
    dataset = read_table(hostile_files.xlsx_huge_dimension(), "x.xlsx")
    assert dataset.headers == ["slug", "title_en"]
    assert list(dataset) == [("pe-cl", "Peru-Chile")]


def test_a_document_type_declaration_without_entities_is_refused_too():
    with pytest.raises(FileProblem, match="The workbook holds an XML document type declaration"):
        read_table(workbook('<?xml version="1.0"?><!DOCTYPE worksheet>' + hostile_files.GOOD_SHEET), "x.xlsx")


def test_a_problem_names_its_row_and_column_for_the_admin_to_show():
    with pytest.raises(FileProblem) as problem:
        read_table(workbook(sheet([cells("slug", "title_en"), cells("pe", "Per\x7fu")])), "x.xlsx")
    assert (problem.value.row, problem.value.column) == (2, 2)


def test_excel_files_are_read_only_with_defusedxml(monkeypatch):
    import openpyxl

    assert openpyxl.DEFUSEDXML
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(ImproperlyConfigured):
        read_table(workbook(), "x.xlsx")


def test_a_sheet_of_formatting_alone_is_empty():
    body = sheet([]).replace(
        "</sheetData>", '<row r="1048576" s="0" customFormat="1"><c r="A1048576" s="0"/></row></sheetData>'
    )
    with pytest.raises(FileProblem, match="The file is empty."):
        read_table(workbook(body), "x.xlsx")
