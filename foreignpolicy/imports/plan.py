"""The stages in order: a plan says what importing a dataset would do, row by row."""

import hashlib
from dataclasses import dataclass, field

from .checking import ValidValues, apply, refused_publication, validate
from .diffing import diff, load_existing, snapshot
from .duplicates import likely_duplicates
from .reading import SKIP, assign_slugs, read_header, read_rows
from .resolving import resolve

PROGRESS_STEP = 500


@dataclass
class ImportPlan:
    model: type
    header_names: list
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
    names, present, problems = read_header(dataset.headers, known, resource.title_columns)
    plan = ImportPlan(model, names, problems=problems)
    if problems:
        # With a header it cannot trust, checking row by row would only add noise.
        return plan
    plan.columns = [known[name] for name in present]
    plan.rows = read_rows(dataset, names, present)
    plan.problems += assign_slugs(plan.rows, model, resource.title_columns)
    meanings, problems = resolve(plan.rows, plan.columns, model)
    plan.problems += problems
    plan.meanings = meanings
    existing, readers = load_existing(model, {row.slug for row in plan.rows if row.slug}, plan.columns)
    valid_values = ValidValues(model, plan.columns)
    for done, row in enumerate(plan.rows, start=1):
        original = existing.get(row.slug)
        row.instance = original or model()
        if original:
            snapshot(row, original, meanings, readers)
            diff(row, meanings)
        if row.action != SKIP:
            # A row that changes nothing leaves its record as it was, and as valid.
            apply(row, plan.columns, model)
            plan.problems += validate(row, model, resource.column_for_field, valid_values)
        if progress and (done % PROGRESS_STEP == 0 or done == len(plan.rows)):
            progress(done, len(plan.rows))
    plan.problems += refused_publication(plan.rows, model, user)
    for check in resource.cross_row_checks:
        plan.problems += check(plan.rows, plan.present)
    plan.warnings = likely_duplicates(plan.rows, resource.duplicate_rules, model)
    return plan
