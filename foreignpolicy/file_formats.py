"""The admin's export formats, writing exactly what `export_csv` writes."""

from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats

from .tabular import XLSX_TYPE, csv_pieces, write_xlsx


class CsvFormat(base_formats.Format):
    def get_title(self):
        return _("CSV (UTF-8, opens in Excel)")

    def write(self, headers, rows, output):
        """Write the rows to the binary file `output` as they come."""
        for piece in csv_pieces(headers, rows):
            output.write(piece)

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv; charset=utf-8"

    def can_export(self):
        return True


class XlsxFormat(base_formats.Format):
    def get_title(self):
        return _("Excel (.xlsx)")

    def write(self, headers, rows, output):
        write_xlsx(headers, rows, output)

    def get_extension(self):
        return "xlsx"

    def get_content_type(self):
        return XLSX_TYPE

    def can_export(self):
        return True


EXPORT_FORMATS = [CsvFormat, XlsxFormat]
