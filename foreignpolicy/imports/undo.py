"""Undoing a confirmed import, through the same pipeline: the records it changed are
imported again with the values they had before, and the records it created are deleted,
all in one transaction. Refused, naming the records, when any of them changed since."""

import tablib
from django.contrib.admin.models import DELETION, LogEntry
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..bulk import without_cycle_collection
from ..columns import among
from .plan import plan_import
from .problems import Problem
from .reading import PREVIOUS_SLUG, SKIP
from .results import UndoResult, plan_result, write_or_report
from .writing import BATCH_SIZE, unpack_undo_data

NAMED_AT_MOST = 20


@without_cycle_collection()
def undo_import(record, user, resource, dry_run=False, progress=None):
    """Undo `record` (an ImportRecord) as `user`; returns the result, with problems when refused."""
    refusal = refusal_for(record)
    if refusal:
        return UndoResult.refused(refusal)
    model = record.content_type.model_class()
    data = unpack_undo_data(record)
    created, updated = data["created"], data["updated"]
    current = {
        found.slug: found
        for chunk in among(model.objects.all(), "slug", created + [slug for slug, _before, _after in updated])
        for found in chunk
    }
    plan = plan_import(resource, dataset_of_previous_values(updated), progress=progress)
    result = plan_result(plan, strict=False, result=UndoResult())
    result.problems += changed_since(record, created, updated, current, plan)
    pks = [found.pk for found in current.values()]
    created_pks = [current[slug].pk for slug in created if slug in current]
    result.problems += named_elsewhere(model, created_pks, set(pks))
    result.deleted = len(created_pks)
    if dry_run or result.problems:
        return result

    def unchanged_while_locked():
        # What was checked above may have changed since: check again under row locks.
        locked = {
            found.slug: found
            for found in model.objects.select_for_update().filter(pk__in=pks).only("slug", "updated_at")
        }
        return changed_since(record, created, updated, locked, plan=None)

    def delete_created(undo):
        undo.deleted = delete(model, created_pks, undo)
        undo.save(update_fields=["deleted"])

    return write_or_report(
        plan, result, user, record.file_name, undoes=record, check=unchanged_while_locked, then=delete_created
    )


def refusal_for(record):
    if record.undoes_id:
        return _("This is the undo of import #%(number)d; to redo it, import that file again.") % {
            "number": record.undoes_id
        }
    undone_by = getattr(record, "undone_by", None)
    if undone_by:
        return _("This import was already undone by #%(number)d.") % {"number": undone_by.pk}
    if not record.undo_data:
        return _("This import holds nothing to undo.")
    return ""


def dataset_of_previous_values(updated):
    """The changed records as a file in the import format, with the values they had before;
    a record the import renamed is renamed back (previous_slug)."""
    columns = ["slug", PREVIOUS_SLUG, *[name for name in (updated[0][1] if updated else {}) if name != "slug"]]
    dataset = tablib.Dataset(headers=columns)
    for slug, before, _after in updated:
        dataset.append([before.get("slug", slug), slug, *[before.get(name, "") for name in columns[2:]]])
    return dataset


def changed_since(record, created, updated, current, plan):
    """Problems naming the records that are gone or changed since the import."""
    missing = [slug for slug in created + [slug for slug, _b, _a in updated] if slug not in current]
    later = sorted(found.slug for found in current.values() if found.updated_at > record.imported_at)
    after = {slug: values for slug, _before, values in updated}
    differing = sorted(
        row.renames or row.slug
        for row in (plan.rows if plan else [])
        if (row.renames or row.slug) not in later and differs(row, after.get(row.renames or row.slug, {}))
    )
    problems = []
    for slugs, message in (
        (missing, _("These records were deleted after the import, so it cannot be undone: %(slugs)s.")),
        (later + differing, _("These records were changed after the import, so it cannot be undone: %(slugs)s.")),
    ):
        if slugs:
            problems.append(Problem(0, "", message % {"slugs": listed(slugs)}))
    return problems


def differs(row, written):
    """Whether the record a row of the undo's plan restores no longer holds what the import
    wrote. A row the plan found unchanged means the record holds its values from before
    the import already, which the import changed."""
    if row.action == SKIP:
        return True
    return bool(row.before) and any(row.before.get(name) != value for name, value in written.items())


def named_elsewhere(model, pks, of_this_import):
    """Problems for created records that other records (not of this import) now name."""
    problems = []
    for relation in model._meta.related_objects:
        referring = relation.related_model
        if relation.many_to_many:
            through = relation.through
            links = through.objects.filter(**{f"{relation.field.m2m_reverse_field_name()}__in": pks})
            source_ids = links.values_list(f"{relation.field.m2m_field_name()}_id", flat=True)
        else:
            source_ids = referring._base_manager.filter(**{f"{relation.field.name}__in": pks}).values_list(
                "pk", flat=True
            )
        outside = set(source_ids) - (of_this_import if referring is model else set())
        if outside:
            names = sorted(str(found) for found in referring._base_manager.filter(pk__in=list(outside)[:NAMED_AT_MOST]))
            problems.append(
                Problem(
                    0,
                    "",
                    _("Records this import created are now named by other %(kind)s, so it cannot be undone: %(names)s.")
                    % {"kind": referring._meta.verbose_name_plural, "names": listed(names, total=len(outside))},
                )
            )
    return problems


def delete(model, pks, undo):
    """Delete the records the import created, and say so in their history."""
    records = model._base_manager.filter(pk__in=pks)
    # A unit created under another created unit would otherwise protect it from deletion.
    for field in model._meta.concrete_fields:
        if field.many_to_one and field.related_model is model:
            records.update(**{field.name: None})
    message = f"{undo}: " + _("deleted.")
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                user_id=undo.user_id,
                content_type_id=undo.content_type_id,
                object_id=str(found.pk),
                object_repr=str(found)[:200],
                action_flag=DELETION,
                change_message=message,
            )
            for found in records
        ],
        batch_size=BATCH_SIZE,
    )
    _total, deleted = records.delete()
    return deleted.get(model._meta.label, 0)


def listed(names, total=None):
    total = total if total is not None else len(names)
    shown = ", ".join(names[:NAMED_AT_MOST])
    if total > NAMED_AT_MOST:
        more = total - NAMED_AT_MOST
        shown += ngettext(" and %(count)d more", " and %(count)d more", more) % {"count": more}
    return shown
