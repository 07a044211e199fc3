"""Stage 4, diff: each row against the record it updates, column by column, in the
canonical form both sides render to."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from ..columns import PublishedWidget, chunked, through_rows
from .problems import Problem
from .reading import SKIP, UPDATE

PUBLISHED = "published"


def load_existing(model, slugs, columns):
    """The records the file names, by slug, and what its columns read of them.

    Plain records, without their relations as model instances: a foreign key or a link
    is read as the key of the entry it names (one query per relation and chunk of
    records), and every entry is made once per plan (see Entries). Prefetching them
    instead made one instance per link: 2.7 GB and most of the time at 100,000 records."""
    entries = Entries()
    foreign_keys = [
        model._meta.get_field(column.attribute) for column in columns if is_foreign_key(model, column.attribute)
    ]
    relations = [name for column in columns for name in column.relations]
    existing, links = {}, {}
    for chunk in chunked(slugs):
        records = list(model.objects.filter(slug__in=chunk))
        if not records:
            continue
        for field in foreign_keys:
            named = entries.of(field.related_model, {getattr(record, field.attname) for record in records})
            for record in records:
                field.set_cached_value(record, named.get(getattr(record, field.attname)))
        for relation in relations:
            links.setdefault(relation, {}).update(linked_entries(model, relation, records, entries))
        existing.update((record.slug, record) for record in records)
    return existing, links


class Entries:
    """The entries records name (vocabulary entries, other records), each made once."""

    def __init__(self):
        self.made = {}

    def of(self, model, pks):
        made = self.made.setdefault(model, {})
        wanted = [pk for pk in pks if pk is not None and pk not in made]
        for chunk in chunked(wanted):
            made.update(model._base_manager.in_bulk(chunk))
        return made


def linked_entries(model, relation, records, entries):
    """{record pk: [the entries it links to through `relation`]}."""
    pairs = list(through_rows(model, relation, [record.pk for record in records], "pk"))
    named = entries.of(model._meta.get_field(relation).related_model, {pk for _record, pk in pairs})
    linked = {record.pk: [] for record in records}
    for record, pk in pairs:
        linked[record].append(named[pk])
    return linked


def is_foreign_key(model, attribute):
    try:
        return bool(attribute) and model._meta.get_field(attribute).many_to_one
    except FieldDoesNotExist:
        return False


def snapshot(row, original, columns, meanings, links):
    """Remember how the record reads before the row is applied to it."""
    row.action = UPDATE
    row.read_at = original.updated_at
    row.before = {}
    for column in columns:
        if column.relations:
            value = [entry for name in column.relations for entry in links[name][original.pk]]
        else:
            value = getattr(original, column.attribute)
        row.before[column.column_name] = meanings[column.column_name].render(value)
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


def after(row, meanings):
    """How the record will read once the row is written."""
    values = {name: meaning.render(row.values[name]) for name, meaning in meanings.items() if name in row.values}
    if "slug" in values:
        # An empty slug cell stands for the slug the title makes.
        values["slug"] = row.slug
    values.setdefault(PUBLISHED, "yes" if row.instance.is_published else "no")
    return values


def diff(row, meanings):
    """The changes an update makes; an update that changes nothing is left unchanged."""
    if row.action != UPDATE:
        return
    row.after = after(row, meanings)
    row.changes = [
        (name, row.before[name], value) for name, value in row.after.items() if row.before.get(name) != value
    ]
    if not row.changes:
        row.action = SKIP


def understood(row, meanings):
    """For a new row, what each filled-in cell was read as, and whether it is public."""
    row.understood = [
        (name, "", meaning.describe(row.cells[name], row.values[name]))
        for name, meaning in meanings.items()
        if name not in ("slug", PUBLISHED) and row.values.get(name) not in (None, "", [])
    ]
    published = row.instance.is_published
    if PUBLISHED in meanings:
        described = meanings[PUBLISHED].describe(row.cells[PUBLISHED], published)
    else:
        described = PublishedWidget().describe(published)
    row.understood.append((PUBLISHED, "", described))
