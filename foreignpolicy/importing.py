"""The resource every record kind's import and export is built on. The import pipeline
itself is foreignpolicy.imports, stage by stage."""

from itertools import islice

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources

from .bulk import without_cycle_collection
from .columns import Column, MomentWidget, PublishedWidget, VocabularyWidget
from .imports.diffing import changed_since_read
from .imports.plan import plan_import, read_header
from .imports.problems import Problem
from .imports.reading import read_rows
from .imports.results import plan_result, write_or_report
from .models import Topic
from .partial_dates import PartialDateAttribute

# Records an export reads at a time: each chunk costs one query per many-to-many relation.
EXPORT_CHUNK = 2000


class RecordResource(resources.ModelResource):
    """Base of the record kinds' resources: the columns are declared, the import is
    foreignpolicy.imports.

    The columns every record kind has are declared here; each resource's Meta.fields
    sets the order. A kind may add checks across rows (`cross_row_checks`: functions of
    the rows and the file's column names, returning problems) and the rules by which a
    new row looks like a record already there (`duplicate_rules`)."""

    slug = Column("slug")
    summary_en = Column("summary_en")
    summary_es = Column("summary_es")
    topics = Column("topics", VocabularyWidget(Topic, label=gettext_lazy("topic"), many=True), relations=["topics"])
    published = Column("published", PublishedWidget(), attribute="is_published")
    publish_at = Column("publish_at", MomentWidget())

    cross_row_checks = ()
    duplicate_rules = ()
    # A file of the parts of records (foreignpolicy.parts) changes records already there,
    # named in its `parent_column`, and leaves their publication as it is.
    updates_only = False
    keeps_publication = False
    parent_column = "slug"
    # Two rows of the import template ({column: cell}), drawn from the seed documents: the
    # format shown by example, valid on a site with the demo's vocabularies and directorates.
    examples = ()

    @classmethod
    def file_label(cls):
        """What a file of this kind holds, as staff read it: "agreements", "steps"."""
        return cls._meta.model._meta.verbose_name_plural

    def file_note(self):
        """What the import page says of this kind's files beside their columns."""
        return ""

    def file_columns(self):
        """The columns of the file this kind imports, in order."""
        return [column.column_name for column in self.get_import_fields()]

    def json_values(self):
        """How the JSON download types each exported column's cells (CellWidget.json_value)."""
        return [column.widget.json_value for column in self.get_export_fields()]

    def read_header(self, headers, known):
        """(the file's column names, the known ones it has, problems); `known`: the columns by name."""
        return read_header(headers, known, self.title_columns)

    def read_rows(self, dataset, names, present):
        """(the rows that hold anything, problems)."""
        return read_rows(dataset, names, present), []

    def template_rows(self):
        """The import template's rows below its header: the examples, every column in order."""
        return [[example.get(column, "") for column in self.get_export_headers()] for example in self.examples]

    @property
    def title_columns(self):
        title = self._meta.model.title_field
        return (f"{title}_en", f"{title}_es")

    def get_queryset(self):
        return self._meta.model.objects.for_export()

    def filter_export(self, queryset, **kwargs):
        return queryset.for_export()

    def export_rows(self, queryset=None, *, public=False, progress=None, keep_order=False):
        """The cells of the export of `queryset` (all records by default), row by row, in
        the order of `for_export()`, or (`keep_order`) in `queryset`'s own, the order of
        the list it was filtered for; the headers are get_export_headers().

        One query reads the records' own values, joined to their vocabulary entries and
        referenced slugs, with their links listed by subqueries, through a database cursor
        read EXPORT_CHUNK records at a time. Nothing is held but the chunk. `public`: links
        reach published records only (the downloads). `progress(done, total)` is told after
        each chunk."""
        model = self._meta.model
        ordering = [*(queryset.query.order_by or model._meta.ordering), "pk"] if keep_order else None
        queryset = self.filter_export(self.get_queryset() if queryset is None else queryset)
        if ordering:
            queryset = queryset.order_by(*ordering)
        # Values, not instances: the prefetches of for_export() and public() go unused.
        queryset = queryset.prefetch_related(None)
        readers = [column.export_reader(model, public) for column in self.get_export_fields()]
        lookups, writers = [], []
        for reader in readers:
            start = len(lookups)
            lookups.extend(reader.lookups)
            writers.append(cell_from_values(reader.write, start, len(lookups)))
        total = queryset.count() if progress else None
        records = queryset.values_list(*lookups).iterator(chunk_size=EXPORT_CHUNK)
        done = 0
        while chunk := list(islice(records, EXPORT_CHUNK)):
            for record in chunk:
                yield [write(record) for write in writers]
            done += len(chunk)
            if progress:
                progress(done, max(total, done))

    def export(self, queryset=None, **kwargs):
        """The rows of export_rows() as a tablib Dataset, as django-import-export's API
        gives them; files and downloads are written from export_rows() as it reads."""
        return tablib.Dataset(*self.export_rows(queryset, **kwargs), headers=self.get_export_headers())

    def column_for_field(self, field_name):
        for column in self.get_import_fields():
            descriptor = getattr(self._meta.model, column.attribute or "", None)
            if column.attribute == field_name or field_name in column.relations:
                return column.column_name
            if isinstance(descriptor, PartialDateAttribute) and field_name in (
                descriptor.date_field,
                descriptor.precision_field,
            ):
                return column.column_name
        return "" if field_name == NON_FIELD_ERRORS else field_name

    @without_cycle_collection()
    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        plan = plan_import(self, dataset, progress=kwargs.get("progress"), user=kwargs.get("user"))
        result = plan_result(plan, strict=kwargs.get("strict", False))
        expected = kwargs.get("expected_fingerprint")
        if expected and expected != result.fingerprint and not result.problems:
            result.problems.append(
                Problem(0, "", _("The records changed after the preview, so nothing was written. Preview again."))
            )
        if dry_run or result.problems:
            return result
        return write_or_report(
            plan, result, kwargs.get("user"), kwargs.get("file_name", ""), check=lambda: changed_since_read(plan)
        )


def cell_from_values(write, start, end):
    if end == start + 1:
        return lambda record: write(record[start])
    return lambda record: write(*record[start:end])
