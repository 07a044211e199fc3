"""Hostile files, made on demand: one function per kind, each returning the file's bytes.

Large files (bombs, a million columns) are made here rather than kept in the repository.
tests/foreignpolicy/test_malformed_files.py runs every one of them through the admin's
import and `import_csv`, and bench/hostile_files.py times `read_table` on them. Each is
made in well under a second. Small ones are in tests/fixtures/malformed/ as files.

FILES lists them: (file name, function, what it is).
"""

import codecs
import io
import random
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MB = 1024 * 1024


# Building blocks


def cells(*values):
    """A row of inline-string cells, as XML."""
    return "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values)


def sheet(rows, dimension="A1"):
    """A worksheet from rows of cell XML (strings), numbered from 1."""
    body = "".join(f'<row r="{number}">{row}</row>' for number, row in enumerate(rows, start=1))
    return f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'


def styles(formats="<xf/>"):
    """The smallest styles part openpyxl reads without a warning, with these cell formats."""
    return (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>'
        f'<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs>{formats}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )


GOOD_SHEET = sheet([cells("slug", "title_en"), cells("pe-cl", "Peru-Chile")], dimension="A1:B2")


def workbook(sheet_xml=GOOD_SHEET, strings=None, parts=None, sheets=1, level=6):
    """An .xlsx file: a workbook whose first sheet is `sheet_xml`.

    Any part may be bytes, text, or an iterable of byte pieces (packed as it goes, so that
    a part of hundreds of megabytes never exists whole). `strings` is the shared strings
    part; `parts` adds or replaces parts by name; `sheets` lists the sheet that many times.
    """
    overrides = [
        ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", SHEET_TYPE),
        ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"),
    ]
    if strings is not None:
        overrides.append(
            ("/xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
        )
    listed = "".join(f'<sheet name="Sheet{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, sheets + 1))
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
        for n in range(1, sheets + 1)
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>{listed}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}">{sheet_rels}'
            f'<Relationship Id="rIdS" Type="{OFFICE}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rIdT" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": styles(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if strings is not None:
        members["xl/sharedStrings.xml"] = strings
    members.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as part:
                for piece in [content] if isinstance(content, str | bytes) else content:
                    part.write(piece.encode() if isinstance(piece, str) else piece)
    return buffer.getvalue()


def repeated(head, block, size, tail):
    """`head`, then `block` over and over until some `size` bytes, then `tail`: in pieces."""
    yield head.encode()
    piece = block.encode() * max(1, MB // len(block))
    for _ in range(max(1, size // len(piece))):
        yield piece
    yield tail.encode()


# CSV


def csv_million_columns():
    """A header of a million columns, then one row."""
    return b"slug" + b",c" * 999_999 + b"\r\npe-cl\r\n"


def csv_wide_header():
    """50,000 named columns: short enough a row, far too many columns."""
    return ",".join(f"c{n}" for n in range(50_000)).encode() + b"\r\nx\r\n"


def csv_endless_header():
    """A header row that never ends: 8 MB without a line break."""
    return b"slug,title_en," + b"x" * (8 * MB)


def csv_open_quote():
    """A quote opened in row 2 and never closed: the rest of the file is one cell."""
    return b'slug,title_en\r\npe-cl,"Peru-Chile\r\n' + b"more text, and more lines\r\n" * 200_000


def csv_long_cell():
    """One quoted cell of 150,000 characters, closed properly."""
    return b'slug,summary_en\r\npe-cl,"' + b"Lorem ipsum. " * 11_540 + b'"\r\n'


def csv_many_rows():
    """300,000 rows of data."""
    return b"slug,title_en\r\n" + b"".join(b"pe-%d,Agreement %d\r\n" % (n, n) for n in range(300_000))


def csv_blank_lines():
    """A good row, then 5 million blank lines."""
    return b"slug,title_en\r\npe-cl,Peru-Chile\r\n" + b"\r\n" * 5_000_000


def csv_nul_after_4_kib():
    """A NUL byte in row 150, well after the first 4 KiB."""
    rows = [b"pe-%d,Agreement %d with a long enough title" % (n, n) for n in range(2, 200)]
    rows[148] = b"pe-150,Agreement\x00 150"
    return b"slug,title_en\r\n" + b"\r\n".join(rows) + b"\r\n"


def csv_escape_character():
    """An ESC control character in a cell."""
    return b"slug,title_en\r\npe-cl,Peru\x1b[31m-Chile\r\n"


def csv_overlong_utf8():
    """UTF-8 with an over-long form of "/" (C0 AF), as path-traversal attacks use."""
    return "slug,title_en\r\npe-cl,Perú\r\npe-ec,Perú".encode() + b"\xc0\xaf" + b"Ecuador\r\n"


def csv_surrogate_utf8():
    """UTF-8 with an encoded surrogate (ED A0 80), as CESU-8 writers make."""
    return "slug,title_en\r\npe-cl,Perú\r\npe-ec,Emoji ".encode() + b"\xed\xa0\xbd\xed\xb8\x80" + b"\r\n"


def csv_stray_continuation():
    """UTF-8 with a continuation byte where a character should begin."""
    return "slug,title_en\r\npe-cl,Perú–Chile".encode() + b"\xa9" + b"\r\n"


def csv_truncated_utf8():
    """UTF-8 cut in the middle of its last character."""
    return "slug,title_en\r\npe-cl,Perú–Chile\r\npe-ec,Acuerdo con Perú".encode()[:-1]


def csv_utf16_truncated():
    """UTF-16 with its byte-order mark and an odd number of bytes: the last character cut."""
    return codecs.BOM_UTF16_LE + "slug\ttitle_en\r\npe-cl\tPerú\r\n".encode("utf-16-le") + b"\x00"


def csv_utf16_lone_surrogate():
    """UTF-16 holding half of a surrogate pair."""
    return (
        codecs.BOM_UTF16_LE
        + "slug\ttitle_en\r\npe-cl\tPer".encode("utf-16-le")
        + b"\x3d\xd8"
        + "ú\r\n".encode("utf-16-le")
    )


def csv_utf16_without_bom():
    """UTF-16 without a byte-order mark."""
    return "slug,title_en\r\npe-cl,Perú\r\n".encode("utf-16-le")


def csv_that_is_a_workbook():
    """An .xlsx workbook named .csv."""
    return workbook()


def csv_that_is_old_excel():
    """An Excel 97-2003 (OLE2) file named .csv."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# Excel


def xlsx_bomb_sheet():
    """594 KB that unpack to 154 MB: one sheet of the same row over and over."""
    return workbook(
        repeated(
            f'<worksheet xmlns="{MAIN}"><sheetData>',
            '<row><c t="inlineStr"><is><t>Peru-Chile Free Trade Agreement</t></is></c></row>',
            154 * MB,
            "</sheetData></worksheet>",
        ),
        level=9,
    )


def xlsx_bomb_strings():
    """A bomb in the shared strings, the sheet itself small."""
    return workbook(
        strings=repeated(f'<sst xmlns="{MAIN}">', "<si><t>Perú</t></si>", 154 * MB, "</sst>"),
        level=9,
    )


def xlsx_bomb_elsewhere():
    """A bomb in a part openpyxl never reads (an "image")."""
    return workbook(parts={"xl/media/image1.png": (b"\x00" * MB for _ in range(200))}, level=9)


def noise(size, seed=0):
    """`size` bytes of hexadecimal digits that pack only to half their size."""
    return random.Random(seed).randbytes(size // 2).hex().encode()


def xlsx_too_big_unpacked():
    """A workbook whose parts, none of them a bomb, unpack to 140 MB together."""
    # 1 MB that packs some 60 times: a few random bytes in every kilobyte of zeros.
    sparse = b"".join(random.Random(n).randbytes(12) + bytes(1012) for n in range(1024))
    return workbook(parts={f"xl/media/image{n}.bin": [sparse] * 10 for n in range(14)}, level=1)


def xlsx_lying_size():
    """A part that declares 1 KB and unpacks to 20 MB (so that Python's zipfile, trusting
    the declaration, would unpack all of it at once)."""
    data = bytearray(workbook(parts={"xl/media/image1.png": [b"\x00" * MB] * 20}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/media/image1.png")
    data[info.header_offset + 22 : info.header_offset + 26] = (1024).to_bytes(4, "little")
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/media/image1.png"))
    data[entry + 24 : entry + 28] = (1024).to_bytes(4, "little")
    return bytes(data)


def xlsx_thousands_of_parts():
    """A workbook of 5,000 parts."""
    return workbook(parts={f"xl/media/image{n}.png": b"x" for n in range(5_000)})


def xlsx_bzip2():
    """A part packed with bzip2, which zipfile reads but Excel never writes."""
    buffer = io.BytesIO(workbook())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/media/image1.png", b"\x00" * MB)
    return buffer.getvalue()


def xlsx_dtd_entity():
    """A sheet that declares an entity in a DTD and uses it."""
    return workbook(
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY title "Peru-Chile">]>'
        + GOOD_SHEET.replace("Peru-Chile", "&title;")
    )


def xlsx_external_entity():
    """Shared strings that pull in a file of the server as an external entity."""
    return workbook(
        sheet([cells("slug"), '<c t="s"><v>0</v></c>']),
        strings=(
            '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            f'<sst xmlns="{MAIN}"><si><t>&secret;</t></si></sst>'
        ),
    )


def xlsx_billion_laughs():
    """The "billion laughs": entities of entities, in the workbook part."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10)
    )
    return workbook(
        parts={
            "xl/workbook.xml": (
                f'<?xml version="1.0"?><!DOCTYPE workbook [{entities}]><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">'
                '<sheets><sheet name="&lol9;" sheetId="1" r:id="rId1"/></sheets></workbook>'
            )
        }
    )


def xlsx_late_entity():
    """An entity declared after 100 KB of comment, past where the first check looks."""
    listed = '<sheets><sheet name="&name;" sheetId="1" r:id="rId1"/></sheets>'
    return workbook(
        parts={
            "xl/workbook.xml": '<?xml version="1.0"?><!--' + "x" * 100_000 + "--><!DOCTYPE workbook "
            f'[<!ENTITY name "Sheet1">]><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">{listed}</workbook>'
        }
    )


def xlsx_sheet_not_xml():
    """A "sheet" that is not XML."""
    return workbook("slug,title_en\r\npe-cl,Peru-Chile\r\n")


def xlsx_that_is_csv():
    """A CSV file named .xlsx."""
    return "slug,title_en\r\npe-cl,Perú\r\n".encode()


def xlsx_that_is_old_excel():
    """An Excel 97-2003 (OLE2) file named .xlsx."""
    return csv_that_is_old_excel()


def xlsx_empty_sheet():
    """A workbook whose sheet has no rows."""
    return workbook(sheet([]))


def xlsx_no_worksheet():
    """A workbook that lists no sheet."""
    return workbook(parts={"xl/workbook.xml": f'<workbook xmlns="{MAIN}"><sheets/></workbook>'})


def xlsx_huge_dimension():
    """Two rows whose sheet claims to fill every cell Excel has (A1:XFD1048576)."""
    return workbook(GOOD_SHEET.replace('ref="A1:B2"', 'ref="A1:XFD1048576"'))


def xlsx_far_cell():
    """A header, one row, and one cell in the very last row and column of a sheet."""
    rows = [cells("slug", "title_en"), cells("pe-cl", "Peru-Chile")]
    body = sheet(rows).replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    return workbook(body)


def xlsx_million_columns():
    """A header row of a million cells (openpyxl would build all of it before the first row)."""
    row = "".join(f"<c><v>{n}</v></c>" for n in range(1_000_000))
    return workbook(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{row}</row></sheetData></worksheet>')


def xlsx_many_rows():
    """300,000 rows of data."""
    body = "".join(f'<row r="{n}"><c t="inlineStr"><is><t>pe-{n}</t></is></c></row>' for n in range(2, 300_002))
    return workbook(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cells("slug")}</row>{body}</sheetData></worksheet>'
    )


def xlsx_long_text():
    """A cell of 2 million characters."""
    return workbook(sheet([cells("slug", "summary_en"), cells("pe-cl", noise(2_000_000).decode())]))


def xlsx_many_strings():
    """500,000 shared strings for a sheet of four cells."""
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(500_000))
    rows = [cells("slug", "title_en"), '<c t="s"><v>0</v></c><c t="s"><v>1</v></c>']
    return workbook(sheet(rows), strings=f'<sst xmlns="{MAIN}">{strings}</sst>')


def xlsx_rich_text_runs():
    """One shared string made of a million formatted runs."""
    return workbook(
        sheet([cells("slug"), '<c t="s"><v>0</v></c>']),
        strings=f'<sst xmlns="{MAIN}"><si>' + "".join(f"<r><t>{n}</t></r>" for n in range(1_000_000)) + "</si></sst>",
    )


def xlsx_huge_styles():
    """6 MB of cell formats (openpyxl parses styles whole, at some 70 µs a format)."""
    formats = "".join(f'<xf numFmtId="{n % 164}" fontId="0" fillId="0" borderId="0" xfId="0"/>' for n in range(100_000))
    return workbook(parts={"xl/styles.xml": styles(formats)})


def xlsx_same_sheet_many_times():
    """One sheet of 1 MB without a dimension, listed 200 times (openpyxl reads each whole)."""
    rows = [cells("slug", "title_en")] + [cells(f"pe-{n}", "Agreement") for n in range(12_000)]
    return workbook(sheet(rows).replace('<dimension ref="A1"/>', ""), sheets=200)


FILES = [
    ("million-columns.csv", csv_million_columns, "a header of a million columns"),
    ("wide-header.csv", csv_wide_header, "50,000 named columns"),
    ("endless-header.csv", csv_endless_header, "a header row that never ends (8 MB)"),
    ("open-quote.csv", csv_open_quote, "a quote never closed (5 MB)"),
    ("long-cell.csv", csv_long_cell, "one cell of 150,000 characters"),
    ("many-rows.csv", csv_many_rows, "300,000 rows"),
    ("blank-lines.csv", csv_blank_lines, "5 million blank lines"),
    ("nul-after-4-kib.csv", csv_nul_after_4_kib, "a NUL byte after the first 4 KiB"),
    ("escape-character.csv", csv_escape_character, "an ESC control character"),
    ("overlong-utf8.csv", csv_overlong_utf8, "over-long UTF-8"),
    ("surrogate-utf8.csv", csv_surrogate_utf8, "UTF-8 encoded surrogates"),
    ("stray-continuation.csv", csv_stray_continuation, "a stray UTF-8 continuation byte"),
    ("truncated-utf8.csv", csv_truncated_utf8, "UTF-8 cut in its last character"),
    ("utf16-truncated.csv", csv_utf16_truncated, "UTF-16 with an odd number of bytes"),
    ("utf16-lone-surrogate.csv", csv_utf16_lone_surrogate, "UTF-16 with half a surrogate pair"),
    ("utf16-without-bom.csv", csv_utf16_without_bom, "UTF-16 without a byte-order mark"),
    ("workbook-named.csv", csv_that_is_a_workbook, "an .xlsx workbook named .csv"),
    ("old-excel-named.csv", csv_that_is_old_excel, "an .xls workbook named .csv"),
    ("bomb-sheet.xlsx", xlsx_bomb_sheet, "zip bomb: sheet of 154 MB"),
    ("bomb-strings.xlsx", xlsx_bomb_strings, "zip bomb: sharedStrings.xml of 154 MB"),
    ("bomb-elsewhere.xlsx", xlsx_bomb_elsewhere, "zip bomb: an unread part of 200 MB"),
    ("too-big-unpacked.xlsx", xlsx_too_big_unpacked, "parts of 140 MB together"),
    ("lying-size.xlsx", xlsx_lying_size, "a part declaring 1 KB, unpacking to 20 MB"),
    ("thousands-of-parts.xlsx", xlsx_thousands_of_parts, "5,000 parts"),
    ("bzip2.xlsx", xlsx_bzip2, "a part packed with bzip2"),
    ("dtd-entity.xlsx", xlsx_dtd_entity, "a DTD with an entity"),
    ("external-entity.xlsx", xlsx_external_entity, "an external entity (file:///etc/passwd)"),
    ("billion-laughs.xlsx", xlsx_billion_laughs, "billion laughs"),
    ("late-entity.xlsx", xlsx_late_entity, "an entity after 100 KB of comment"),
    ("sheet-not-xml.xlsx", xlsx_sheet_not_xml, "a sheet that is not XML"),
    ("csv-named.xlsx", xlsx_that_is_csv, "a CSV file named .xlsx"),
    ("old-excel-named.xlsx", xlsx_that_is_old_excel, "an .xls workbook named .xlsx"),
    ("empty-sheet.xlsx", xlsx_empty_sheet, "an empty sheet"),
    ("no-worksheet.xlsx", xlsx_no_worksheet, "no worksheet"),
    ("far-cell.xlsx", xlsx_far_cell, "a cell at XFD1048576"),
    ("million-columns.xlsx", xlsx_million_columns, "a header row of a million cells"),
    ("many-rows.xlsx", xlsx_many_rows, "300,000 rows"),
    ("long-text.xlsx", xlsx_long_text, "a cell of 2 million characters"),
    ("many-strings.xlsx", xlsx_many_strings, "500,000 shared strings, 4 cells"),
    ("rich-text-runs.xlsx", xlsx_rich_text_runs, "a shared string of a million formatted runs"),
    ("huge-styles.xlsx", xlsx_huge_styles, "6 MB of cell formats"),
    ("same-sheet-many-times.xlsx", xlsx_same_sheet_many_times, "one sheet without dimension, listed 200 times"),
]


def good_rows(rows):
    return [["slug", "title_en", "type", "status", "parties", "signed_on", "summary_en", "published"]] + [
        [f"pe-{n}", f"Agreement {n}", "free-trade-agreement", "in_force", "CL;EU", "2006-08-22", "A summary.", "yes"]
        for n in range(rows)
    ]


def csv_good():
    """10,000 good rows of 8 columns, for comparison."""
    return "".join(",".join(row) + "\r\n" for row in good_rows(10_000)).encode()


def xlsx_good():
    """The same 10,000 rows as a workbook."""
    return workbook(sheet([cells(*row) for row in good_rows(10_000)], dimension="A1:H10001"))


def xlsx_styles_at_the_limit():
    """63,000 cell formats, just under 4 MB: the most that parts read whole may cost."""
    formats = "".join(f'<xf numFmtId="{n % 164}" fontId="0" fillId="0" borderId="0" xfId="0"/>' for n in range(63_000))
    return workbook(parts={"xl/styles.xml": styles(formats)})


# Not hostile: the first looks it, and is read as the two rows it holds; the second is as
# costly as parts read whole may be; the others are good files, for comparison.
HARMLESS = [
    ("huge-dimension.xlsx", xlsx_huge_dimension, "a sheet that claims A1:XFD1048576, holding 2 rows"),
    ("styles-at-the-limit.xlsx", xlsx_styles_at_the_limit, "63,000 cell formats (3.9 MB), just under the limit"),
    ("good.csv", csv_good, "a good file of 10,000 rows"),
    ("good.xlsx", xlsx_good, "the same as a workbook"),
]

SMALL = 32 * 1024

if __name__ == "__main__":
    # python -m tests.hostile_files: (re)write the small ones into the corpus folder.
    from pathlib import Path

    corpus = Path(__file__).parent / "fixtures" / "malformed"
    for name, make, _what in FILES:
        data = make()
        if len(data) <= SMALL:
            (corpus / name).write_bytes(data)
            print(f"{corpus / name}: {len(data)} bytes")
