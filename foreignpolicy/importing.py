"""The resource every record kind's import and export is built on, and the result of an
import. The pipeline itself is foreignpolicy.imports, stage by stage."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources
from import_export.results import Result, RowResult

from .columns import Column, PublishedWidget, VocabularyWidget
from .imports.plan import plan_import
from .imports.problems import Problem, in_file_order
from .imports.reading import NEW, SKIP, UPDATE
from .imports.writing import describe_changes, write
from .models import Topic
from .partial_dates import PartialDateAttribute

QUERY_PAGE = 2000

__all__ = ["ImportResult", "Problem", "RecordResource", "describe_changes"]


class ImportResult(Result):
    def __init__(self):
        super().__init__()
        self.problems = []
        self.warnings = []
        self.drafts = 0
        self.fingerprint = ""
        self.record = None

    def has_errors(self):
        return bool(self.base_errors or self.problems)

    def summary(self):
        counts = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.totals[NEW],
            "updated": self.totals[UPDATE],
            "unchanged": self.totals[SKIP],
        }
        drafts = ngettext("%(drafts)d of them is a draft.", "%(drafts)d of them are drafts.", self.drafts) % {
            "drafts": self.drafts
        }
        return f"{counts}; {drafts}"


def plan_result(plan, strict=False):
    """What the admin and the command show of a plan: problems, warnings and every row."""
    result = ImportResult()
    result.diff_headers = plan.present
    result.total_rows = len(plan.rows)
    warnings = in_file_order(plan.warnings, plan.header_names)
    result.problems = in_file_order(
        plan.problems + ([warning.as_error() for warning in warnings] if strict else []), plan.header_names
    )
    result.warnings = [] if strict else warnings
    result.fingerprint = plan.fingerprint()
    by_row = {}
    for problem in result.problems:
        if problem.row:
            by_row.setdefault(problem.row, {}).setdefault(problem.column or NON_FIELD_ERRORS, []).append(
                problem.message
            )
    for row in plan.rows:
        if row.number in by_row:
            result.append_invalid_row(row.number, row.cells, ValidationError(by_row[row.number]))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            continue
        row_result = RowResult()
        row_result.import_type = row.action
        row_result.number = row.number
        row_result.row_values = row.cells
        row_result.changes = row.understood if row.action == NEW else row.changes
        row_result.instance = row.instance
        row_result.object_repr = str(row.instance)
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
        result.drafts += not row.instance.is_published
    return result


def write_or_report(plan, result, user, file_name, undoes=None, then=None):
    """Write the plan in one transaction; a database refusal becomes a problem and
    nothing is written. `then` runs inside the same transaction."""
    try:
        with transaction.atomic():
            result.record = write(plan, user, file_name, undoes=undoes)
            if then:
                then(result.record)
    except DatabaseError as error:
        result.problems.append(
            Problem(0, "", _("The database refused the import and nothing was saved: %(error)s") % {"error": error})
        )
    return result


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
        return write_or_report(plan, result, kwargs.get("user"), kwargs.get("file_name", ""))
