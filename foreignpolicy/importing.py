"""The resource every record kind's import and export is built on. The import pipeline
itself is foreignpolicy.imports, stage by stage."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources

from .columns import Column, PublishedWidget, VocabularyWidget
from .imports.diffing import changed_since_read
from .imports.plan import plan_import
from .imports.problems import Problem
from .imports.results import plan_result, write_or_report
from .models import Topic
from .partial_dates import PartialDateAttribute

QUERY_PAGE = 2000


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

    cross_row_checks = ()
    duplicate_rules = ()

    @property
    def title_columns(self):
        title = self._meta.model.title_field
        return (f"{title}_en", f"{title}_es")

    def get_queryset(self):
        return self._meta.model.objects.for_export()

    def filter_export(self, queryset, **kwargs):
        return queryset.for_export()

    def export(self, queryset=None, progress=None, **kwargs):
        self.progress = progress
        return super().export(queryset=queryset, **kwargs)

    def iter_queryset(self, queryset):
        # Large pages keep the number of queries small while prefetching stays bounded.
        total = queryset.count()
        for chunk_start in range(0, total, QUERY_PAGE):
            yield from queryset[chunk_start : chunk_start + QUERY_PAGE]
            if getattr(self, "progress", None):
                self.progress(min(chunk_start + QUERY_PAGE, total), total)

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

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        plan = plan_import(self, dataset, progress=kwargs.get("progress"))
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
