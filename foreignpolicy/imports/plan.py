"""The stages in order: a plan says what importing a dataset would do, row by row."""

import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import reading
from .checking import ValidValues, apply, refused_publication, validate, warnings_for
from .diffing import PUBLISHED, diff, load_existing, snapshot, unchanged_rows
from .duplicates import likely_duplicates
from .problems import Problem
from .reading import PREVIOUS_SLUG, SKIP, assign_slugs
from .resolving import prepared_meanings, resolve

PROGRESS_STEP = 500


@dataclass
class ImportPlan:
    model: type
    header_names: list
    kind: str = ""  # the resource's name: an undo reads its data with the same resource
    keeps_publication: bool = False  # the rows leave their records' publication as it is
    columns: list = field(default_factory=list)  # the Columns the file has, in its order
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    meanings: dict = field(default_factory=dict)  # column name → CellMeanings

    @property
    def present(self):
        return [column.column_name for column in self.columns]

    def fingerprint(self):
        """A digest of what the import would do, row by row: a confirmation must find the
        same, or the records changed after the preview."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(repr((row.number, row.slug, row.action, row.changes)).encode())
        return digest.hexdigest()


def plan_import(resource, dataset, progress=None, user=None):
    model = resource._meta.model
    known = {column.column_name: column for column in resource.get_import_fields()}
    names, present, problems = resource.read_header(dataset.headers, known)
    plan = ImportPlan(model, names, kind=resource._meta.name, problems=problems)
    if problems:
        # With a header it cannot trust, checking row by row would only add noise.
        return plan
    plan.keeps_publication = resource.keeps_publication and PUBLISHED not in present
    plan.columns = [known[name] for name in present if name != PREVIOUS_SLUG]
    plan.rows, plan.problems = resource.read_rows(dataset, names, present)
    plan.problems += assign_slugs(plan.rows, model, resource.title_columns)
    plan.meanings = meanings = prepared_meanings(plan.rows, plan.columns, model)
    named = {row.slug for row in plan.rows if row.slug} | {row.renames for row in plan.rows if row.renames}
    existing, readers = load_existing(model, named, plan.columns)
    plan.problems += renamed_records(plan.rows, existing)
    if resource.updates_only:
        plan.problems += unknown_records(plan.rows, existing, model, resource.parent_column)
        plan.rows = [row for row in plan.rows if row.slug in existing]
    for row in plan.rows:
        row.stored = existing.get(row.renames or row.slug)
    # A file that renames records may give a slug another meaning: every row is read.
    if not any(row.renames for row in plan.rows):
        for row in unchanged_rows(plan.rows, meanings, readers, plan.keeps_publication):
            row.action = SKIP
    to_check = [row for row in plan.rows if row.action != SKIP]
    existing.instances([row.stored for row in to_check if row.stored])
    for row in to_check:
        if row.stored and row.stored.made is None:
            row.stored = None  # deleted since it was read: the row makes it anew
    plan.problems += resolve(to_check, meanings)
    valid_values = ValidValues(model, plan.columns)
    skipped = len(plan.rows) - len(to_check)
    for done, row in enumerate(to_check, start=skipped + 1):
        if row.stored:
            snapshot(row, meanings, readers)
            diff(row, meanings, plan.keeps_publication)
        else:
            row.instance = model()
        if row.action != SKIP:
            # A row that changes nothing leaves its record as it was, and as valid.
            apply(row, plan.columns, model, plan.keeps_publication)
            plan.problems += validate(row, model, resource.column_for_field, valid_values)
            plan.warnings += warnings_for(row, resource.column_for_field)
        if progress and (done % PROGRESS_STEP == 0 or done == len(plan.rows)):
            progress(done, len(plan.rows))
    plan.problems += refused_publication(plan.rows, model, user)
    for check in resource.cross_row_checks:
        plan.problems += check(plan.rows, plan.present)
    plan.warnings += likely_duplicates(plan.rows, resource.duplicate_rules, model)
    return plan


def read_header(headers, known, title_columns):
    """(the file's column names, the known ones it has, problems) of a record file."""
    names, present, problems = reading.read_header(headers, [*known, PREVIOUS_SLUG], title_columns)
    if PREVIOUS_SLUG in present and "slug" not in present:
        problems.append(Problem(0, PREVIOUS_SLUG, _("a file that renames records needs a slug column too.")))
    return names, present, problems


def unknown_records(rows, existing, model, column):
    """Problems for the rows of a file that changes records only, naming none there is."""
    message = _("No %(kind)s has the slug “%(slug)s”.")
    kind = model._meta.verbose_name
    return [
        Problem(row.number, column, message % {"kind": kind, "slug": row.slug})
        for row in rows
        if row.slug not in existing
    ]


def renamed_records(rows, existing):
    """Problems for the rows that rename a record (previous_slug): it must exist, and its
    new slug must be no other record's. A row whose record has its new slug already (the
    file imported again) is an update like any other."""
    problems = []
    for row in rows:
        if not row.renames:
            continue
        if row.slug in existing and row.renames in existing:
            message = _("“%(slug)s” is already the slug of another record, so “%(previous)s” cannot take it.")
            problems.append(Problem(row.number, "slug", message % {"slug": row.slug, "previous": row.renames}))
        elif row.slug in existing:
            row.renames = ""
        elif row.renames not in existing:
            message = _("No record has the slug “%(previous)s”.") % {"previous": row.renames}
            problems.append(Problem(row.number, PREVIOUS_SLUG, message))
    return problems
