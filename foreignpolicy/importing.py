"""The one import pipeline, used by the admin and by `manage.py import_csv`.

It works on the whole file at once: every cell is read, every name looked up in bulk,
every row compared with the record it updates, and only when no row has a problem is
anything written, in bulk, in one transaction. Every problem is reported with its row
and column; a file with any problem writes nothing.
"""

import hashlib
from dataclasses import dataclass, field
from difflib import get_close_matches

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources
from import_export.results import Result, RowResult

from .bulk import bulk_update
from .columns import Column, PendingRecord, PublishedWidget, VocabularyWidget, chunked
from .models import ImportRecord, Topic, slug_from_titles
from .partial_dates import PartialDateAttribute

NEW, UPDATE, SKIP = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP
BATCH_SIZE = 1000
LOGGED_VALUE_LENGTH = 80
QUERY_PAGE = 2000
PROGRESS_STEP = 500


@dataclass(frozen=True, order=True)
class Problem:
    row: int  # the spreadsheet's row number (the header is row 1); 0 for the whole file
    column: str  # "" when the problem is not in one column
    message: str

    def __str__(self):
        if not self.row:
            if self.column:
                return _("Column “%(column)s”: %(message)s") % {"column": self.column, "message": self.message}
            return self.message
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class ImportResult(Result):
    def __init__(self):
        super().__init__()
        self.problems = []
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


@dataclass
class PlannedRow:
    number: int
    cells: dict
    slug: str = ""
    instance: models.Model | None = None
    values: dict = field(default_factory=dict)
    pending: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)
    action: str = NEW


class ImportPlan:
    def __init__(self, resource, dataset, progress=None):
        self.resource = resource
        self.model = resource._meta.model
        self.problems = []
        self.columns = {column.column_name: column for column in resource.get_import_fields()}
        self.present = self.check_header(dataset.headers)
        self.rows = self.read_rows(dataset)
        if self.problems:
            # With a header it cannot trust, checking row by row would only add noise.
            self.rows = []
            return
        self.slugs = self.assign_slugs()
        for name in self.present:
            self.columns[name].widget.prepare([row.cells[name] for row in self.rows], self)
        existing = self.load_existing()
        for done, row in enumerate(self.rows, start=1):
            self.plan_row(row, existing.get(row.slug))
            if progress and (done % PROGRESS_STEP == 0 or done == len(self.rows)):
                progress(done, len(self.rows))
        resource.check_plan(self)

    def add(self, row, column, message):
        self.problems.append(Problem(row, column, str(message)))

    def check_header(self, headers):
        present = []
        for position, header in enumerate(headers or [], start=1):
            name = str(header or "").strip().lstrip("\ufeff").lower()
            if name in present:
                self.add(0, name, _("the column appears twice; keep one."))
            elif name in self.columns:
                present.append(name)
            elif not name:
                self.add(0, "", _("Column %(position)d has no name in the header row.") % {"position": position})
            else:
                known = get_close_matches(name, self.columns, n=1)
                hint = _(" Did you mean “%(name)s”?") % {"name": known[0]} if known else ""
                self.add(0, name, _("not a column of this format.") + hint)
        if "slug" not in present and not set(self.resource.title_columns) & set(present):
            self.add(
                0,
                "",
                _("The file needs a slug column or a %(titles)s column to know which records it describes.")
                % {"titles": _(" or ").join(self.resource.title_columns)},
            )
        self.header_names = [str(h or "").strip().lstrip("\ufeff").lower() for h in headers or []]
        return present

    def read_rows(self, dataset):
        rows = []
        for number, values in enumerate(dataset, start=2):
            cells = {}
            for name, value in zip(self.header_names, values, strict=False):
                cells.setdefault(name, "" if value is None else str(value))
            if any(value.strip() for value in cells.values()):
                rows.append(PlannedRow(number, {name: cells.get(name, "") for name in self.present}))
        return rows

    def assign_slugs(self):
        first_row = {}
        for row in self.rows:
            row.slug = row.cells.get("slug", "").strip().lower() or self.derived_slug(row)
            if not row.slug:
                continue
            if row.slug in first_row:
                self.add(
                    row.number,
                    "slug",
                    _("“%(slug)s” is also the slug of row %(row)d; each record may appear once.")
                    % {"slug": row.slug, "row": first_row[row.slug]},
                )
            else:
                first_row[row.slug] = row.number
        return set(first_row)

    def derived_slug(self, row):
        return slug_from_titles(self.model, [row.cells.get(name, "") for name in self.resource.title_columns])

    def load_existing(self):
        related = [column.attribute for column in self.present_columns() if self.is_foreign_key(column.attribute)]
        relations = [name for column in self.present_columns() for name in column.relations]
        existing = {}
        for chunk in chunked(self.slugs):
            records = self.model.objects.filter(slug__in=chunk).select_related(*related).prefetch_related(*relations)
            existing.update((record.slug, record) for record in records)
        return existing

    def present_columns(self):
        return [self.columns[name] for name in self.present]

    def is_foreign_key(self, attribute):
        try:
            return bool(attribute) and self.model._meta.get_field(attribute).many_to_one
        except FieldDoesNotExist:
            return False

    def plan_row(self, row, original):
        row.instance = original or self.model()
        row.action = UPDATE if original else NEW
        before = {name: self.rendered(name, original) for name in self.present} if original else {}
        failed = set()
        for name in self.present:
            try:
                row.values[name] = self.columns[name].widget.clean(row.cells[name])
            except ValueError as error:
                self.add(row.number, name, error)
                failed.add(name)
        self.apply(row)
        self.validate(row, failed)
        if original:
            row.changes = [
                (name, before[name], self.columns[name].widget.render(row.values[name]))
                for name in self.present
                if name in row.values and before[name] != self.columns[name].widget.render(row.values[name])
            ]
            if "published" not in self.present and original.is_published:
                row.changes.append(("published", "yes", "no"))
            if not row.changes:
                row.action = SKIP

    def rendered(self, name, instance):
        column = self.columns[name]
        return column.widget.render(column.get_value(instance))

    def apply(self, row):
        instance = row.instance
        for name, value in row.values.items():
            column = self.columns[name]
            if column.relations or name == "slug":
                continue
            if isinstance(value, PendingRecord):
                setattr(instance, self.model._meta.get_field(column.attribute).attname, None)
                row.pending[column.attribute] = value
            else:
                setattr(instance, column.attribute, value)
        instance.slug = row.slug
        if "published" not in self.present:
            # A missing published column means draft: nothing goes public by accident.
            instance.is_published = False

    def validate(self, row, failed):
        instance = row.instance
        foreign_keys = [f.name for f in self.model._meta.concrete_fields if f.many_to_one]
        errors = {}
        for check in (
            # An empty slug is derived from the title; when both are missing the title says so.
            lambda: instance.clean_fields(
                exclude=[*foreign_keys, "created_at", "updated_at", *(["slug"] if not row.slug else [])]
            ),
            instance.clean,
        ):
            try:
                check()
            except ValidationError as error:
                for field_name, messages in error.error_dict.items():
                    errors.setdefault(field_name, []).extend(messages)
        for name in foreign_keys:
            field_ = self.model._meta.get_field(name)
            if not field_.null and getattr(instance, field_.attname) is None and name not in row.pending:
                errors.setdefault(name, []).append(ValidationError(_("A value is required here."), code="required"))
        for field_name, messages in errors.items():
            column = self.resource.column_for_field(field_name)
            if column in failed:
                continue
            for message in messages:
                if message.code in {"null", "blank"}:
                    message = ValidationError(_("A value is required here."))
                self.add(row.number, column, " ".join(message.messages))

    def result(self):
        result = ImportResult()
        result.diff_headers = self.present
        result.total_rows = len(self.rows)
        order = {name: position for position, name in enumerate(self.header_names)}
        result.problems = sorted(
            dict.fromkeys(self.problems), key=lambda p: (p.row, order.get(p.column, -1) if p.row else 0)
        )
        by_row = {}
        for problem in result.problems:
            if problem.row:
                by_row.setdefault(problem.row, {}).setdefault(problem.column or NON_FIELD_ERRORS, []).append(
                    problem.message
                )
        for row in self.rows:
            if row.number in by_row:
                result.append_invalid_row(row.number, row.cells, ValidationError(by_row[row.number]))
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
                continue
            row_result = RowResult()
            row_result.import_type = row.action
            row_result.number = row.number
            row_result.row_values = row.cells
            row_result.changes = row.changes
            row_result.instance = row.instance
            row_result.object_repr = str(row.instance)
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
            result.drafts += not row.instance.is_published
        return result

    def write(self, user, file_name):
        now = timezone.now()
        created = [row for row in self.rows if row.action == NEW]
        updated = [row for row in self.rows if row.action == UPDATE]
        for row in created + updated:
            row.instance.refresh_search_text()
        self.model.objects.bulk_create([row.instance for row in created], batch_size=BATCH_SIZE)
        by_slug = {row.slug: row.instance for row in self.rows}
        for row in self.rows:
            for attribute, pending in row.pending.items():
                setattr(row.instance, attribute, by_slug[pending.slug])
        touched = {id(row.instance): row.instance for row in updated}
        touched.update((id(row.instance), row.instance) for row in created if row.pending)
        for instance in touched.values():
            instance.updated_at = now
        if touched:
            bulk_update(self.model, touched.values(), self.updated_fields(), batch_size=BATCH_SIZE)
        self.write_relations(created, updated, by_slug)
        if user is not None:
            record = ImportRecord.objects.create(
                content_type=ContentType.objects.get_for_model(self.model),
                user=user,
                file_name=file_name[:255],
                created=len(created),
                updated=len(updated),
                unchanged=sum(row.action == SKIP for row in self.rows),
                drafts=sum(not row.instance.is_published for row in self.rows),
            )
            self.write_log(record, created, updated)
            return record
        return None

    def fingerprint(self):
        """A digest of what the import would do, row by row: a confirmation must find the
        same, or the records changed after the preview."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(repr((row.number, row.slug, row.action, row.changes)).encode())
        return digest.hexdigest()

    def updated_fields(self):
        """The fields some row changes: the fewer, the faster a bulk update runs."""
        changed = {change[0] for row in self.rows for change in row.changes}
        names = {"updated_at", "search_text", *(["is_published"] if "published" in changed else [])}
        for column in self.present_columns():
            if column.relations or column.column_name not in changed:
                continue
            descriptor = getattr(self.model, column.attribute, None)
            if isinstance(descriptor, PartialDateAttribute):
                names |= {descriptor.date_field, descriptor.precision_field}
            else:
                names.add(column.attribute)
        names |= {attribute for row in self.rows for attribute in row.pending}
        return sorted(names)

    def write_relations(self, created, updated, by_slug):
        for column in self.present_columns():
            name = column.column_name
            rows = created + [row for row in updated if any(change[0] == name for change in row.changes)]
            for relation in column.relations:
                manager_field = self.model._meta.get_field(relation)
                through = manager_field.remote_field.through
                source = manager_field.m2m_field_name()
                target = manager_field.m2m_reverse_field_name()
                target_model = manager_field.related_model
                stale = [row.instance.pk for row in rows if row.action == UPDATE]
                for chunk in chunked(stale):
                    through.objects.filter(**{f"{source}__in": chunk}).delete()
                links = [
                    through(**{f"{source}_id": row.instance.pk, f"{target}_id": self.saved(item, by_slug).pk})
                    for row in rows
                    for item in row.values.get(name) or []
                    if isinstance(item, (target_model, PendingRecord))
                ]
                through.objects.bulk_create(links, batch_size=BATCH_SIZE)

    @staticmethod
    def saved(item, by_slug):
        return by_slug[item.slug] if isinstance(item, PendingRecord) else item

    def write_log(self, record, created, updated):
        source = _("Import #%(number)d from %(file)s") % {"number": record.pk, "file": record.file_name}
        entries = [
            LogEntry(
                user_id=record.user_id,
                content_type_id=record.content_type_id,
                object_id=str(row.instance.pk),
                object_repr=str(row.instance)[:200],
                action_flag=ADDITION if row.action == NEW else CHANGE,
                change_message=f"{source}: " + (_("created.") if row.action == NEW else describe_changes(row.changes)),
            )
            for row in created + updated
        ]
        LogEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)


def shorten(value):
    value = value or "—"
    return value if len(value) <= LOGGED_VALUE_LENGTH else value[: LOGGED_VALUE_LENGTH - 1] + "…"


def describe_changes(changes):
    return "; ".join(f"{name}: {shorten(old)} → {shorten(new)}" for name, old, new in changes) + "."


class RecordResource(resources.ModelResource):
    """Base of the three resources: the columns are declared, the import is ImportPlan.

    The columns every record kind has are declared here; each resource's Meta.fields
    sets the order."""

    slug = Column("slug")
    summary_en = Column("summary_en")
    summary_es = Column("summary_es")
    topics = Column("topics", VocabularyWidget(Topic, label=gettext_lazy("topic"), many=True), relations=["topics"])
    published = Column("published", PublishedWidget(), attribute="is_published")

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

    def check_plan(self, plan):
        """Checks across rows that a single row cannot make; adds to plan.problems."""

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        plan = ImportPlan(self, dataset, progress=kwargs.get("progress"))
        result = plan.result()
        result.fingerprint = plan.fingerprint()
        expected = kwargs.get("expected_fingerprint")
        if expected and expected != result.fingerprint and not result.problems:
            result.problems.append(
                Problem(0, "", _("The records changed after the preview, so nothing was written. Preview again."))
            )
        if dry_run or result.problems:
            return result
        try:
            with transaction.atomic():
                result.record = plan.write(kwargs.get("user"), kwargs.get("file_name", ""))
        except DatabaseError as error:
            result.problems.append(
                Problem(0, "", _("The database refused the import and nothing was saved: %(error)s") % {"error": error})
            )
        return result
