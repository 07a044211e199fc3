"""Stage 4, diff: each row against the record it updates, column by column, in the
canonical form both sides render to."""

from operator import itemgetter

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from ..columns import PublishedWidget, among, linked_keys, split_keys
from ..partial_dates import PartialDateAttribute
from .problems import Problem
from .reading import NOTHING, SKIP, UPDATE

PUBLISHED = "published"
SCHEDULE = "publish_at"


def load_existing(model, slugs, columns):
    """The records the file names, by slug (StoredRecords), and how to read each column's
    stored value (a StoredColumn each).

    Rows of the few values the columns read, not model instances: a foreign key or a link
    is read as the key of the entry it names, and every entry is made once per plan (see
    NamedEntries). The keys of each record's links come with the record, listed by a
    subquery (linked_keys), and on PostgreSQL the slugs go as one array: a query for each
    relation and chunk of records, with a parameter for each slug or record, took a third
    of a re-import's time at 100,000 records; prefetching the links instead made one
    instance per link (2.7 GB), and whole records as instances most of what was left."""
    entries = NamedEntries()
    foreign_keys = [
        model._meta.get_field(column.attribute) for column in columns if is_foreign_key(model, column.attribute)
    ]
    relations = {name: model._meta.get_field(name) for column in columns for name in column.relations}
    # The titles name a record in a preview. Not the update time: Django's time zone
    # loader took a twentieth of a re-import, and only records that change need it.
    read = {model._meta.pk.attname, "slug", "is_published", f"{model.title_field}_en", f"{model.title_field}_es"}
    parts = [column for column in columns if column.widget.parts]
    for column in columns:
        if column in parts:
            continue  # read on their own (StoredParts)
        descriptor = getattr(model, column.attribute or "", None)
        if isinstance(descriptor, PartialDateAttribute):
            read |= {descriptor.date_field, descriptor.precision_field}
        elif column.attribute and not column.relations:
            read.add(model._meta.get_field(column.attribute).attname)
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in read]
    store = StoredRecords(model, fields, relations, foreign_keys, entries)
    slug = store.index["slug"]
    for chunk in among(store.records().values_list(*store.names), "slug", slugs):
        stored = [StoredRecord(store, values) for values in chunk]
        store.name_entries(stored)
        store.update((record.values[slug], record) for record in stored)
        for column in parts:
            pks = [record.values[store.index[model._meta.pk.attname]] for record in stored]
            store.parts.setdefault(column.column_name, {}).update(column.widget.stored_parts(pks))
    readers = {column.column_name: stored_column(model, column, store) for column in columns}
    return store, readers


def linked_name(relation):
    return f"linked_{relation}"


class StoredRecords(dict):
    """Records as read, by slug: each a StoredRecord, its values in `names`' order (the
    fields the columns read, then the keys of each relation's links as one text)."""

    def __init__(self, model, fields, relations, foreign_keys, entries):
        super().__init__()
        self.model = model
        self.fields = fields
        self.relations = relations
        self.names = [*fields, *(linked_name(name) for name in relations)]
        self.index = {name: position for position, name in enumerate(self.names)}
        self.foreign_keys = foreign_keys
        self.entries = entries
        self.parts = {}  # parts column → {record pk: its parts as the column writes them}

    def records(self):
        # Unordered: the model's ordering led PostgreSQL to walk the signature index and
        # filter every record by slug instead of looking the slugs up.
        return self.model.objects.order_by().annotate(
            **{linked_name(name): linked_keys(self.model, name, "pk") for name in self.relations}
        )

    def name_entries(self, stored):
        """Make the entries the records' foreign keys and links name (NamedEntries)."""
        for field in self.foreign_keys:
            self.entries.of(field.related_model, {record.get(field.attname) for record in stored})
        for name, field in self.relations.items():
            to_python = field.related_model._meta.pk.to_python
            listed = {record.get(linked_name(name)) for record in stored}
            self.entries.of(field.related_model, {to_python(pk) for keys in listed for pk in split_keys(keys)})

    def instances(self, stored):
        """Make each of `stored` a whole instance (but its search text and creation time,
        which no column reads and a write sets afresh), read in bulk with its values
        again, so that what the row changes and the update time a confirmation checks
        come from one reading; its foreign keys name the entries already made."""
        pks = {record.get(self.model._meta.pk.attname): record for record in stored}
        for chunk in among(self.records().defer("search_text", "created_at"), "pk", pks):
            for instance in chunk:
                record = pks[instance.pk]
                record.values = tuple(getattr(instance, name) for name in self.names)
                for name in self.relations:
                    del vars(instance)[linked_name(name)]
                record.made = instance
        stored = [record for record in stored if record.made is not None]
        self.name_entries(stored)
        for field in self.foreign_keys:
            named = self.entries.made[field.related_model]
            for record in stored:
                field.set_cached_value(record.made, named.get(getattr(record.made, field.attname)))


class StoredRecord:
    """One record as read: its values, and the model instance once one is needed."""

    __slots__ = ("store", "values", "made")

    def __init__(self, store, values):
        self.store, self.values, self.made = store, values, None

    def get(self, name):
        return self.values[self.store.index[name]]

    def instance(self):
        """The record as an instance (only the fields read: enough to name it), unless
        StoredRecords.instances() made it whole."""
        if self.made is None:
            store = self.store
            self.made = store.model.from_db(DEFAULT_DB_ALIAS, store.fields, self.values[: len(store.fields)])
        return self.made


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


class StoredColumn:
    """How a column's value is read from a StoredRecord: `key(record)` holds plain values
    only, cheap to compare and to keep (see CellMeanings.render_stored), picked from the
    record's values by `pick`; `value(record)` is the value itself."""

    def __init__(self, *positions):
        self.pick = itemgetter(*positions)  # one value, or a tuple of several

    def key(self, record):
        return self.pick(record.values)

    def value(self, record):
        return self.pick(record.values)


class StoredDate(StoredColumn):
    def value(self, record):
        return PartialDateAttribute.of(*self.key(record))


class StoredEntry(StoredColumn):
    def __init__(self, position, named):
        super().__init__(position)
        self.named = named

    def value(self, record):
        return self.named.get(self.key(record))


class StoredLinks(StoredColumn):
    """The entries of one or more relations, as the keys the linked_keys texts list, made
    the column's value by its widget (CellWidget.from_links)."""

    def __init__(self, relations, widget):
        super().__init__(*(position for _name, position, _key, _named in relations))
        self.relations = relations  # [(relation, position, the related pk's to_python, entries by pk)]
        self.widget = widget

    def value(self, record):
        return self.widget.from_links(
            [
                (name, [named[key(pk)] for pk in split_keys(record.values[position])])
                for name, position, key, named in self.relations
            ]
        )


class StoredParts(StoredColumn):
    """A record's parts (foreignpolicy.parts), as read with the records, written already."""

    def __init__(self, pk_position, written):
        super().__init__(pk_position)
        self.written = written

    def key(self, record):
        return self.written.get(self.pick(record.values), "")

    value = key


def stored_column(model, column, store):
    made = store.entries.made
    if column.widget.parts:
        return StoredParts(store.index[model._meta.pk.attname], store.parts.get(column.column_name, {}))
    if column.relations:
        relations = []
        for name in column.relations:
            related = model._meta.get_field(name).related_model
            relations.append((name, store.index[linked_name(name)], related._meta.pk.to_python, made.get(related, {})))
        return StoredLinks(relations, column.widget)
    descriptor = getattr(model, column.attribute, None)
    if isinstance(descriptor, PartialDateAttribute):
        return StoredDate(store.index[descriptor.date_field], store.index[descriptor.precision_field])
    field = model._meta.get_field(column.attribute)
    if field.many_to_one:
        return StoredEntry(store.index[field.attname], made.get(field.related_model, {}))
    return StoredColumn(store.index[field.attname])


def is_foreign_key(model, attribute):
    try:
        return bool(attribute) and model._meta.get_field(attribute).many_to_one
    except FieldDoesNotExist:
        return False


def snapshot(row, meanings, readers):
    """Remember how the row's record reads before the row is applied to it."""
    row.action = UPDATE
    row.read_at = row.instance.updated_at
    row.before = {name: meanings[name].render_stored(read, row.stored) for name, read in readers.items()}
    for meaning in meanings.values():
        # What the record's parts set on it (its dates, from its steps), for an undo to restore.
        row.before.update(meaning.widget.derived_values(row.instance))
    if PUBLISHED not in row.before:
        row.before[PUBLISHED] = "yes" if row.stored.get("is_published") else "no"


def unchanged_rows(rows, meanings, readers, keeps_publication=False):
    """The rows whose import would leave their record as it is, told from the cells
    (CellMeanings.sameness) before the rows are read in full: most rows of a file imported
    again change nothing, and such a row needs neither its values nor its record's
    instance. Column by column, each over the rows still alike."""
    alike = [row for row in rows if row.stored]
    if PUBLISHED not in meanings and not keeps_publication:
        # Without the column, a row makes its record a draft.
        alike = [row for row in alike if not row.stored.get("is_published")]
    for name, meaning in meanings.items():
        same = meaning.sameness(readers[name])
        alike = [row for row in alike if same(row.cells[name], row.stored)]
    return alike


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


def after(row, meanings, keeps_publication=False):
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
        # As checking.apply() leaves it: unreadable, or kept, as it was; not in the file, a draft.
        keeps = keeps_publication or PUBLISHED in row.failed
        values[PUBLISHED] = row.before[PUBLISHED] if keeps else "no"
    return values


def diff(row, meanings, keeps_publication=False):
    """The changes an update makes; an update that changes nothing is left unchanged."""
    if row.action != UPDATE:
        return
    row.after = after(row, meanings, keeps_publication)
    row.changes = [
        (name, row.before[name], value) for name, value in row.after.items() if row.before.get(name) != value
    ]
    if not row.changes:
        row.action = SKIP
        row.after = NOTHING  # only the undo of a changed record needs it


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
