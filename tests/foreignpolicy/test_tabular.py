import io

import pytest

from foreignpolicy.tabular import FileProblem, read_csv, read_table, restore, write_csv, write_xlsx


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
        (b"not a zip", "This is not an Excel .xlsx file, or it is damaged."),
        (b"PK\x03\x04broken", "This is not an Excel .xlsx file, or it is damaged."),
    ],
)
def test_a_damaged_excel_file_gets_a_file_level_reason(data, message):
    with pytest.raises(FileProblem, match=message):
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
    from_excel = read_table(write_xlsx(dataset), "x.xlsx")[0][0]
    assert restore(from_excel) == text.replace("\r", "\n")
