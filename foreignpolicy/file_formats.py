"""The admin's export formats, writing exactly what `export_csv` writes."""

from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats

from .tabular import XLSX_TYPE, write_csv, write_xlsx


class CsvFormat(base_formats.Format):
    def get_title(self):
        return _("CSV (UTF-8, opens in Excel)")

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset)

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv; charset=utf-8"

    def can_export(self):
        return True


class XlsxFormat(base_formats.Format):
    def get_title(self):
        return _("Excel (.xlsx)")

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset)

    def get_extension(self):
        return "xlsx"

    def get_content_type(self):
        return XLSX_TYPE

    def can_export(self):
        return True


EXPORT_FORMATS = [CsvFormat, XlsxFormat]
