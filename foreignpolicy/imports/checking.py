"""Stage 3, check: each row applied to its record and validated by the model's own rules,
then the checks that need several rows. Checks return problems; they never raise."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from ..models import may_publish
from ..partial_dates import PartialDateAttribute
from .diffing import PUBLISHED, SCHEDULE
from .lookups import PendingRecord
from .problems import Problem
from .reading import SKIP, UPDATE


def apply(row, columns, model, keeps_publication=False):
    """Set the row's values on its record (a new one, or the one it updates)."""
    instance = row.instance
    row.pending = {}
    for column in columns:
        name = column.column_name
        if column.relations or name == "slug" or name not in row.values:
            continue
        value = row.values[name]
        if isinstance(value, PendingRecord):
            setattr(instance, model._meta.get_field(column.attribute).attname, None)
            row.pending[column.attribute] = value
        else:
            column.widget.assign(instance, column.attribute, value)
    instance.slug = row.slug
    if PUBLISHED not in row.values and PUBLISHED not in row.failed and not keeps_publication:
        # A missing published column means draft: nothing goes public by accident.
        instance.is_published = False


class ValidValues:
    """The values of fields filled from repeating columns (a type, a date, published)
    already found valid: a field's rules look at its value only, so each distinct value
    is checked once per file."""

    def __init__(self, model, columns):
        self.fields = {}  # field name → attribute name, for the repeating columns' fields
        self.fields_of = {}  # column name → the names of the fields it fills
        for column in columns:
            if column.relations or not column.attribute:
                continue
            descriptor = getattr(model, column.attribute, None)
            if isinstance(descriptor, PartialDateAttribute):
                names = (descriptor.date_field, descriptor.precision_field)
            else:
                names = (column.attribute,)
            self.fields_of[column.column_name] = names
            if not column.widget.repeats:
                continue
            for name in names:
                field = model._meta.get_field(name)
                if not field.many_to_one:
                    self.fields[name] = field.attname
        self.valid = set()

    def unchanged(self, row):
        """The fields an update leaves as they were: as valid as they were."""
        if row.action != UPDATE:
            return []
        changed = {change[0] for change in row.changes}
        return [name for column, names in self.fields_of.items() if column not in changed for name in names]

    def known(self, instance):
        return [name for name, attname in self.fields.items() if (name, getattr(instance, attname)) in self.valid]

    def remember(self, instance, invalid):
        for name, attname in self.fields.items():
            if name not in invalid:
                self.valid.add((name, getattr(instance, attname)))


def validate(row, model, column_for_field, valid_values):
    """The model's field and record rules, each problem in the column it belongs to."""
    instance = row.instance
    foreign_keys = [f.name for f in model._meta.concrete_fields if f.many_to_one]
    errors = {}
    for check in (
        # An empty slug is derived from the title; when both are missing the title says so.
        lambda: instance.clean_fields(
            exclude=[
                *foreign_keys,
                "created_at",
                "updated_at",
                *(["slug"] if not row.slug else []),
                *valid_values.known(instance),
                *valid_values.unchanged(row),
                *instance.get_deferred_fields(),  # not read, so not changed: as valid as they were
            ]
        ),
        instance.clean,
    ):
        try:
            check()
        except ValidationError as error:
            for field_name, messages in error.error_dict.items():
                errors.setdefault(field_name, []).extend(messages)
    valid_values.remember(instance, errors)
    for name in foreign_keys:
        field = model._meta.get_field(name)
        if not field.null and getattr(instance, field.attname) is None and name not in row.pending:
            errors.setdefault(name, []).append(ValidationError(_("A value is required here."), code="required"))
    problems = []
    for field_name, messages in errors.items():
        column = column_for_field(field_name) if field_name != NON_FIELD_ERRORS else ""
        if column in row.failed:
            continue
        for message in messages:
            if message.code in {"null", "blank"}:
                message = ValidationError(_("A value is required here."))
            problems.append(Problem(row.number, column, " ".join(message.messages)))
    return problems


def warnings_for(row, column_for_field):
    """The record's own warnings (Record.validation_warnings), each in its column."""
    return [
        Problem(row.number, column_for_field(field), message, warning=True)
        for field, message in row.instance.validation_warnings().items()
        if column_for_field(field) not in row.failed
    ]


def naming_own_record(rows, column, message, named=lambda item: item):
    """Problems for rows whose `column` names the row's own record: `named(item)` is the
    record an item of the column's value names, `message(item)` what the problem says."""
    return [
        Problem(row.number, column, message(item))
        for row in rows
        for item in row.values.get(column) or []
        if named(item).slug == row.slug
    ]


def refused_publication(rows, model, user):
    """An editor's import makes and changes drafts only: each row that would publish or
    schedule a record, or change one that is published, is a problem. `user` None, or the command
    line's own inactive account, is the operator, who may do everything."""
    if user is None or not user.is_active or may_publish(user, model):
        return []
    problems = []
    for row in rows:
        if row.action == UPDATE and row.before.get(PUBLISHED) == "yes":
            message = _("“%(slug)s” is published: only a publisher can change it.") % {"slug": row.slug}
            problems.append(Problem(row.number, "slug", message))
            continue
        if row.action == SKIP:
            continue
        if row.instance.is_published:
            message = _("Only a publisher can publish: leave the cell empty or write “no”.")
            problems.append(Problem(row.number, PUBLISHED, message))
        if sets_schedule(row):
            message = _("Only a publisher can schedule a publication: leave the cell empty.")
            problems.append(Problem(row.number, SCHEDULE, message))
    return problems


def sets_schedule(row):
    if row.action == UPDATE:
        return any(change[0] == SCHEDULE for change in row.changes)
    return row.values.get(SCHEDULE) is not None
