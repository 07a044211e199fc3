"""Stage 5, write: in bulk, inside the caller's transaction, with the change history and
what undoing the import will need."""

import json
import zlib

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ..bulk import bulk_create, bulk_update, insert_values
from ..columns import among
from ..models import ImportRecord, RevisionSource, remember_slugs
from ..page_cache import rows_written
from ..partial_dates import PartialDateAttribute
from ..revisions import record_revision
from .diffing import PUBLISHED
from .lookups import PendingRecord
from .reading import NEW, SKIP, UPDATE

BATCH_SIZE = 1000


def write(plan, user, file_name, undoes=None):
    """Write the plan's new and changed rows; returns the ImportRecord (None without a user)."""
    now = timezone.now()
    model = plan.model
    created = [row for row in plan.rows if row.action == NEW]
    updated = [row for row in plan.rows if row.action == UPDATE]
    for row in created + updated:
        row.instance.refresh_search_text()
        row.instance.changed_by = user
        if makes_public(row):
            row.instance.published_by, row.instance.published_at = user, now
        row.instance.mark_withdrawal(now)
    bulk_create(model, [row.instance for row in created], batch_size=BATCH_SIZE)
    # Another row names (PendingRecord) a record the file creates or renames only.
    by_slug = {row.slug: row.instance for row in created + updated}
    for row in plan.rows:
        for attribute, pending in row.pending.items():
            setattr(row.instance, attribute, by_slug[pending.slug])
    touched = {id(row.instance): row.instance for row in updated}
    touched.update((id(row.instance), row.instance) for row in created if row.pending)
    for instance in touched.values():
        instance.updated_at = now
    if touched:
        bulk_update(model, touched.values(), updated_fields(plan), batch_size=BATCH_SIZE)
    write_relations(plan, created, updated, by_slug)
    write_parts(plan, updated)
    renamed = [(row.instance.pk, row.before["slug"], row.slug) for row in updated if row.renames]
    if renamed:
        remember_slugs(model, renamed)
    rows_written(created + updated)
    # An import is recorded, for undoing, when a user made it; its revision always is.
    record = None
    if user is not None:
        record = ImportRecord.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            user=user,
            file_name=file_name[:255],
            created=len(created),
            updated=len(updated),
            unchanged=sum(row.action == SKIP for row in plan.rows),
            drafts=sum(not row.is_published for row in plan.rows),
            undoes=undoes,
            undo_data=b"" if undoes else pack_undo_data(plan, created, updated),
        )
    record_revision(
        model,
        [row.instance.pk for row in created + updated],
        user=user,
        how=RevisionSource.How.UNDO if undoes else RevisionSource.How.IMPORT,
        import_record=record,
    )
    return record


def makes_public(row):
    if not row.instance.is_published:
        return False
    return row.action == NEW or any(change[0] == PUBLISHED for change in row.changes)


def updated_fields(plan):
    """The fields some row changes: the fewer, the faster a bulk update runs."""
    changed = {change[0] for row in plan.rows for change in row.changes}
    names = {"updated_at", "search_text", "changed_by"}
    if "published" in changed:
        names |= {"is_published", "published_by", "published_at", "withdrawn_at"}
    for column in plan.columns:
        if column.relations or column.column_name not in changed:
            continue
        if column.widget.parts:
            names |= set(column.widget.derived_fields)
            continue
        descriptor = getattr(plan.model, column.attribute, None)
        if isinstance(descriptor, PartialDateAttribute):
            names |= {descriptor.date_field, descriptor.precision_field}
        else:
            names.add(column.attribute)
    names |= {attribute for row in plan.rows for attribute in row.pending}
    return sorted(names)


def write_relations(plan, created, updated, by_slug):
    for column in plan.columns:
        name = column.column_name
        rows = created + [row for row in updated if any(change[0] == name for change in row.changes)]
        for relation in column.relations:
            manager_field = plan.model._meta.get_field(relation)
            through = manager_field.remote_field.through
            source = manager_field.m2m_field_name()
            target = manager_field.m2m_reverse_field_name()
            target_model = manager_field.related_model
            stale = [row.instance.pk for row in rows if row.action == UPDATE]
            for chunk in among(through.objects.all(), source, stale):
                chunk.delete()
            links = [
                (row.instance.pk, saved(item, by_slug).pk)
                for row in rows
                for item in column.widget.links(relation, row.values.get(name), target_model)
            ]
            insert_values(through, [f"{source}_id", f"{target}_id"], links, batch_size=BATCH_SIZE)


def write_parts(plan, updated):
    """Each changed record's parts, as its row lists them (foreignpolicy.parts)."""
    for column in plan.columns:
        if not column.widget.parts:
            continue
        widget, name = column.widget, column.column_name
        rows = [row for row in updated if any(change[0] == name for change in row.changes)]
        for chunk in among(
            widget.part_model.objects.all(), widget.parent_field.attname, [row.instance.pk for row in rows]
        ):
            chunk.delete()
        made = [widget.make(row.instance.pk, part) for row in rows for part in row.values[name]]
        widget.part_model.objects.bulk_create(made, batch_size=BATCH_SIZE)


def saved(item, by_slug):
    return by_slug[item.slug] if isinstance(item, PendingRecord) else item


def pack_undo_data(plan, created, updated):
    """The created records' slugs, and for each changed record its columns before and after."""
    data = {
        "kind": plan.kind,
        "created": [row.slug for row in created],
        "updated": [[row.slug, row.before, row.after] for row in updated],
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def unpack_undo_data(record):
    if not record.undo_data:
        return None
    return json.loads(zlib.decompress(bytes(record.undo_data)))
