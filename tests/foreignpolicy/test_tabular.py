import pytest

from foreignpolicy.tabular import FileProblem, read_csv, write_csv


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
