"""Stage 4, diff: each row against the record it updates, column by column, in the
canonical form both sides render to."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from ..columns import PublishedWidget, among, linked_keys, split_keys
from ..partial_dates import PartialDateAttribute
from .problems import Problem
from .reading import SKIP, UPDATE

PUBLISHED = "published"
SCHEDULE = "publish_at"


def load_existing(model, slugs, columns):
    """The records the file names, by slug, and how to read each column's stored value.

    Plain records, without their relations as model instances: a foreign key or a link
    is read as the key of the entry it names, and every entry is made once per plan (see
    NamedEntries). The keys of each record's links come with the record, listed by a
    subquery (linked_keys), and on PostgreSQL the slugs go as one array: a query for
    each relation and chunk of records, with a parameter for each slug or record, took a
    third of a re-import's time at 100,000 records; prefetching the links instead made
    one instance per link (2.7 GB)."""
    entries = NamedEntries()
    foreign_keys = [
        model._meta.get_field(column.attribute) for column in columns if is_foreign_key(model, column.attribute)
    ]
    relations = {name: model._meta.get_field(name) for column in columns for name in column.relations}
    # Not the search text (every text again, the widest column) nor the creation time:
    # no column reads them, and a write sets the search text afresh.
    # Unordered: the model's ordering led PostgreSQL to walk the signature index and
    # filter every record by slug instead of looking the slugs up.
    records = (
        model.objects.order_by()
        .defer("search_text", "created_at")
        .annotate(**{linked_name(name): linked_keys(model, name, "pk") for name in relations})
    )
    existing, links = {}, {name: {} for name in relations}
    for chunk in among(records, "slug", slugs):
        chunk = list(chunk)
        for field in foreign_keys:
            named = entries.of(field.related_model, {getattr(record, field.attname) for record in chunk})
            for record in chunk:
                field.set_cached_value(record, named.get(getattr(record, field.attname)))
        for name, field in relations.items():
            key = field.related_model._meta.pk.to_python
            for record in chunk:
                # Popped: the text would stay on each record the plan holds.
                listed = vars(record).pop(linked_name(name))
                links[name][record.pk] = tuple(key(pk) for pk in split_keys(listed))
        existing.update((record.slug, record) for record in chunk)
    for name, field in relations.items():
        entries.of(field.related_model, {pk for keys in links[name].values() for pk in keys})
    readers = {column.column_name: stored_reader(model, column, links, entries) for column in columns}
    return existing, readers


def linked_name(relation):
    return f"linked_{relation}"


class NamedEntries:
    """The entries records name (vocabulary entries, other records), each made once."""

    def __init__(self):
        self.made = {}

    def of(self, model, pks):
        made = self.made.setdefault(model, {})
        wanted = [pk for pk in pks if pk is not None and pk not in made]
        for chunk in among(model._base_manager.all(), "pk", wanted):
            made.update((entry.pk, entry) for entry in chunk)
        return made


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
    for chunk in among(plan.model.objects.select_for_update(), "pk", read_at):
        locked = chunk.values_list("pk", "slug", "updated_at")
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
