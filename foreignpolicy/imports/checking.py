"""Stage 3, check: each row applied to its record and validated by the model's own rules,
then the checks that need several rows. Checks return problems; they never raise."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from .diffing import PUBLISHED
from .lookups import PendingRecord
from .problems import Problem


def apply(row, columns, model):
    """Set the row's values on its record (a new one, or the one it updates)."""
    instance = row.instance
    for column in columns:
        name = column.column_name
        if column.relations or name == "slug" or name not in row.values:
            continue
        value = row.values[name]
        if isinstance(value, PendingRecord):
            setattr(instance, model._meta.get_field(column.attribute).attname, None)
            row.pending[column.attribute] = value
        else:
            setattr(instance, column.attribute, value)
    instance.slug = row.slug
    if PUBLISHED not in row.values and PUBLISHED not in row.failed:
        # A missing published column means draft: nothing goes public by accident.
        instance.is_published = False


def validate(row, model, column_for_field):
    """The model's field and record rules, each problem in the column it belongs to."""
    instance = row.instance
    foreign_keys = [f.name for f in model._meta.concrete_fields if f.many_to_one]
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
