"""Stage 4, diff: each row against the record it updates, column by column, in the
canonical form both sides render to."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from ..columns import PublishedWidget, chunked
from ..partial_dates import PartialDateAttribute
from .problems import Problem
from .reading import SKIP, UPDATE

PUBLISHED = "published"


def load_existing(model, slugs, columns):
    """The records the file names, by slug, and how to read each column's stored value.

    Plain records, without their relations as model instances: a foreign key or a link
    is read as the key of the entry it names (one query per relation and chunk of
    records), and every entry is made once per plan (see NamedEntries). Prefetching them
    instead made one instance per link: 2.7 GB and most of the time at 100,000 records."""
    entries = NamedEntries()
    foreign_keys = [
        model._meta.get_field(column.attribute) for column in columns if is_foreign_key(model, column.attribute)
    ]
    relations = [name for column in columns for name in column.relations]
    existing, links = {}, {name: {} for name in relations}
    for chunk in chunked(slugs):
        # Not the search text (every text again, the widest column) nor the creation time:
        # no column reads them, and a write sets the search text afresh.
        records = list(model.objects.filter(slug__in=chunk).defer("search_text", "created_at"))
        if not records:
            continue
        for field in foreign_keys:
            named = entries.of(field.related_model, {getattr(record, field.attname) for record in records})
            for record in records:
                field.set_cached_value(record, named.get(getattr(record, field.attname)))
        for relation in relations:
            links[relation].update(links_by_record(model, relation, records, entries))
        existing.update((record.slug, record) for record in records)
    readers = {column.column_name: stored_reader(model, column, links, entries) for column in columns}
    return existing, readers


class NamedEntries:
    """The entries records name (vocabulary entries, other records), each made once."""

    def __init__(self):
        self.made = {}

    def of(self, model, pks):
        made = self.made.setdefault(model, {})
        wanted = [pk for pk in pks if pk is not None and pk not in made]
        for chunk in chunked(wanted):
            made.update(model._base_manager.in_bulk(chunk))
        return made


def links_by_record(model, relation, records, entries):
    """{record pk: the keys of the entries it links to through `relation`}; the entries
    themselves are made in `entries`. The keys stand for the value when it is rendered
    (sorted then), so their order does not matter."""
    field = model._meta.get_field(relation)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    links = field.remote_field.through.objects.filter(**{f"{source}__in": [record.pk for record in records]})
    pairs = list(links.values_list(f"{source}_id", f"{target}_id"))
    entries.of(field.related_model, {pk for _record, pk in pairs})
    linked = {record.pk: [] for record in records}
    for record, pk in pairs:
        linked[record].append(pk)
    return {record: tuple(keys) for record, keys in linked.items()}


def stored_reader(model, column, links, entries):
    """A function of a record giving (a key for its value in `column`, a function giving
    the value): the key holds plain values only, cheap to compare."""
    if column.relations:
        related = [
            (links[name], entries.made.get(model._meta.get_field(name).related_model, {})) for name in column.relations
        ]

        def read_links(record):
            keys = tuple(known.get(record.pk, ()) for known, _named in related)
            return keys, lambda: [
                named[pk] for (_known, named), linked in zip(related, keys, strict=True) for pk in linked
            ]

        return read_links
    descriptor = getattr(model, column.attribute, None)
    if isinstance(descriptor, PartialDateAttribute):
        date_field, precision_field = descriptor.date_field, descriptor.precision_field
        return lambda record: (
            (getattr(record, date_field), getattr(record, precision_field)),
            lambda: getattr(record, column.attribute),
        )
    if is_foreign_key(model, column.attribute):
        attname = model._meta.get_field(column.attribute).attname
        return lambda record: (getattr(record, attname), lambda: getattr(record, column.attribute))
    attribute = column.attribute

    def read_value(record):
        value = getattr(record, attribute)
        return value, lambda: value

    return read_value


def is_foreign_key(model, attribute):
    try:
        return bool(attribute) and model._meta.get_field(attribute).many_to_one
    except FieldDoesNotExist:
        return False


def snapshot(row, original, meanings, readers):
    """Remember how the record reads before the row is applied to it."""
    row.action = UPDATE
    row.read_at = original.updated_at
    row.before = {}
    for name, read in readers.items():
        key, value = read(original)
        row.before[name] = meanings[name].render_stored(key, value)
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
    values = {
        name: meaning.render(row.cells[name], row.values[name])
        for name, meaning in meanings.items()
        if name in row.values
    }
    if "slug" in values:
        # An empty slug cell stands for the slug the title makes.
        values["slug"] = row.slug
    if PUBLISHED not in values:
        # As checking.apply() leaves it: unreadable, as it was; not in the file, a draft.
        values[PUBLISHED] = row.before[PUBLISHED] if PUBLISHED in row.failed else "no"
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
        row.after = {}  # only the undo of a changed record needs it


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
