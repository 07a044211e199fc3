"""Stage 4, diff: each row against the record it updates, column by column, in the
canonical form both sides render to."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from ..columns import PublishedWidget, chunked
from .problems import Problem
from .reading import SKIP, UPDATE

PUBLISHED = "published"


def load_existing(model, slugs, columns):
    """The records the file names, by slug, with what its columns read of them."""
    related = [column.attribute for column in columns if is_foreign_key(model, column.attribute)]
    relations = [name for column in columns for name in column.relations]
    existing = {}
    for chunk in chunked(slugs):
        records = model.objects.filter(slug__in=chunk).select_related(*related).prefetch_related(*relations)
        existing.update((record.slug, record) for record in records)
    return existing


def is_foreign_key(model, attribute):
    try:
        return bool(attribute) and model._meta.get_field(attribute).many_to_one
    except FieldDoesNotExist:
        return False


def rendered(column, instance):
    return column.widget.render(column.get_value(instance))


def snapshot(row, original, columns):
    """Remember how the record reads before the row is applied to it."""
    row.action = UPDATE
    row.read_at = original.updated_at
    row.before = {column.column_name: rendered(column, original) for column in columns}
    if PUBLISHED not in row.before:
        row.before[PUBLISHED] = "yes" if original.is_published else "no"


def changed_since_read(plan):
    """Under row locks, inside the write's transaction: problems when a record the plan
    updates changed after the plan read it (another import, an edit in the admin)."""
    read_at = {row.instance.pk: row.read_at for row in plan.rows if row.action == UPDATE}
    changed = []
    for chunk in chunked(read_at):
        locked = plan.model.objects.select_for_update().filter(pk__in=chunk).values_list("pk", "slug", "updated_at")
        changed += [slug for pk, slug, updated_at in locked if updated_at != read_at[pk]]
    if not changed:
        return []
    message = _("These records changed while the file was being checked, so nothing was written: %(slugs)s.")
    return [Problem(0, "", message % {"slugs": ", ".join(sorted(changed)[:20])} + " " + _("Preview again."))]


def after(row, columns):
    """How the record will read once the row is written."""
    values = {
        column.column_name: column.widget.render(row.values[column.column_name])
        for column in columns
        if column.column_name in row.values
    }
    if "slug" in values:
        # An empty slug cell stands for the slug the title makes.
        values["slug"] = row.slug
    values.setdefault(PUBLISHED, "yes" if row.instance.is_published else "no")
    return values


def diff(row, columns):
    """The changes an update makes; an update that changes nothing is left unchanged."""
    if row.action != UPDATE:
        return
    row.after = after(row, columns)
    row.changes = [
        (name, row.before[name], value) for name, value in row.after.items() if row.before.get(name) != value
    ]
    if not row.changes:
        row.action = SKIP


def understood(row, columns):
    """For a new row, what each filled-in cell was read as, and whether it is public."""
    row.understood = [
        (column.column_name, "", column.widget.describe(row.values[column.column_name]))
        for column in columns
        if column.column_name not in ("slug", PUBLISHED) and row.values.get(column.column_name) not in (None, "", [])
    ]
    row.understood.append((PUBLISHED, "", PublishedWidget().describe(row.instance.is_published)))
