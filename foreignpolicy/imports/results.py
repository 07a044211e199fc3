"""What an import or an undo did or would do: the result the admin and the command show,
and the one transaction it is written in."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export.results import Result, RowResult

from .diffing import understood
from .problems import Problem, in_file_order
from .reading import NEW, SKIP, UPDATE
from .writing import write


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
        created, updated, unchanged = self.totals[NEW], self.totals[UPDATE], self.totals[SKIP]
        counts = ", ".join(
            [
                ngettext("%(count)d created", "%(count)d created", created) % {"count": created},
                ngettext("%(count)d updated", "%(count)d updated", updated) % {"count": updated},
                ngettext("%(count)d unchanged", "%(count)d unchanged", unchanged) % {"count": unchanged},
            ]
        )
        drafts = ngettext("%(drafts)d of them is a draft.", "%(drafts)d of them are drafts.", self.drafts) % {
            "drafts": self.drafts
        }
        return f"{counts}; {drafts}"


class UndoResult(ImportResult):
    def __init__(self):
        super().__init__()
        self.deleted = 0

    @classmethod
    def refused(cls, reason):
        result = cls()
        result.problems.append(Problem(0, "", reason))
        return result

    def summary(self):
        return _("%(restored)s; %(deleted)s") % {
            "restored": ngettext(
                "%(count)d record restored to its values before the import",
                "%(count)d records restored to their values before the import",
                self.totals[UPDATE],
            )
            % {"count": self.totals[UPDATE]},
            "deleted": ngettext(
                "%(count)d record it created deleted", "%(count)d records it created deleted", self.deleted
            )
            % {"count": self.deleted},
        }


def plan_result(plan, strict=False, result=None):
    """What the admin and the command show of a plan: problems, warnings and every row."""
    result = result or ImportResult()
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
        row_result = PlannedRowResult(row, plan.meanings)
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
        result.drafts += not row.is_published
    return result


class PlannedRowResult(RowResult):
    """A row of the result. What a new row was understood as, and the record's name, are
    worked out when shown: a preview shows a few thousand rows of a file of any size."""

    def __init__(self, row, meanings):
        super().__init__()
        self.row = row
        self.meanings = meanings
        self.import_type = row.action
        self.number = row.number
        self.row_values = row.cells

    @property
    def changes(self):
        if self.row.action != NEW:
            return [
                (name, *(self.meanings[name].widget.shown(text) if name in self.meanings else text for text in texts))
                for name, *texts in self.row.changes
            ]
        if not self.row.understood:
            understood(self.row, self.meanings)
        return self.row.understood

    @property
    def instance(self):
        return self.row.instance

    @instance.setter
    def instance(self, value):
        pass  # RowResult() sets None; the record is the row's, made when shown

    @property
    def object_repr(self):
        return str(self.instance)

    @object_repr.setter
    def object_repr(self, value):
        pass  # RowResult() sets None; the name is the instance's


class Refused(Exception):
    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def write_or_report(plan, result, user, file_name, undoes=None, check=None, then=None):
    """Write the plan in one transaction; a database refusal becomes a problem and
    nothing is written. Inside the same transaction, `check` runs first (problems it
    returns write nothing) and `then` last."""
    try:
        with transaction.atomic():
            problems = check() if check else []
            if problems:
                raise Refused(problems)
            result.record = write(plan, user, file_name, undoes=undoes)
            if then:
                then(result.record)
    except Refused as refusal:
        result.problems += refusal.problems
    except DatabaseError as error:
        result.problems.append(
            Problem(0, "", _("The database refused the import and nothing was saved: %(error)s") % {"error": error})
        )
    return result
