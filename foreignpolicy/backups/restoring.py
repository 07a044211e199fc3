"""Restoring a backup into an empty, migrated database, in one transaction: the
vocabularies first, each made equal to the backup's (entries staff added, labels they
changed, entries they deleted), then the records of each kind in the order their
references run, through the import pipeline and its checks (text as the site stored it:
see TextWidget), then the old addresses.
The first file with a problem stops it, and nothing is written."""

import tablib
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import tabular
from ..columns import among, taking_stored_text
from ..imports.problems import Problem
from ..imports.reading import header_name
from ..models import PreviousSlug
from ..page_cache import public_content_changed
from ..registry import RECORDS, resource_for
from .archive import BackupProblem, opened
from .layout import PREVIOUS_SLUG_COLUMNS, PREVIOUS_SLUGS, RECORD_KINDS, VOCABULARIES


def restore_backup(path, account, progress=None):
    """Restore the backup at `path`; returns its manifest and, for each file, what it did.

    `account()` gives the user the imports are recorded under; it is asked inside the
    transaction, so that a refused restore makes no account either. `progress(rows)` may
    give a progress callback for a file of that many rows. Raises BackupProblem."""
    with opened(path) as backup:
        try:
            with transaction.atomic():
                refusals = readiness_problems()
                if refusals:
                    raise BackupProblem(refusals)
                report = [restore_vocabulary(backup, vocabulary) for vocabulary in VOCABULARIES]
                user = account()
                for kind in RECORD_KINDS:
                    report += restore_records(backup, kind, user, f"{path.name}: ", progress)
                report.append(restore_previous_slugs(backup))
                # The vocabularies are written in bulk, without the signals the page cache listens to.
                public_content_changed()
        except DatabaseError as error:
            message = _("The database refused the restore, and nothing was written: %(error)s")
            raise BackupProblem([message % {"error": error}]) from error
        return backup.manifest, report


def readiness_problems():
    """A backup is restored into a database that is migrated, and holds no records."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return [_("The database is not fully migrated: run “python manage.py migrate” first.")]
    models = [resource_for(kind)._meta.model for kind in RECORDS] + [PreviousSlug]
    held = [str(model._meta.verbose_name_plural) for model in models if model.objects.exists()]
    if held:
        message = _(
            "The database already holds %(held)s. A backup is restored into an empty database only: create one, "
            "migrate it, and restore into it (README, “Backup and restore”)."
        )
        return [message % {"held": ", ".join(held)}]
    return []


def rows_by_column(dataset):
    """(spreadsheet row number, {column: cell}) for each row of a file, its cells as the
    exports wrote them before they neutralised formulas."""
    names = [header_name(header) for header in dataset.headers]
    for number, cells in enumerate(dataset, start=2):
        yield number, {name: tabular.restore(cell) for name, cell in zip(names, cells, strict=True)}


def restore_vocabulary(backup, vocabulary):
    (entry,) = backup.files_of(vocabulary.holds)
    dataset = backup.table(entry, vocabulary.columns)
    model = vocabulary.model
    entries, problems, first_row = [], [], {field.name: {} for field in vocabulary.unique_fields}
    for number, values in rows_by_column(dataset) if dataset is not None else ():
        made = model(**values)
        problems += entry_problems(made, number)
        for field in vocabulary.unique_fields:
            value, seen = getattr(made, field.attname), first_row[field.name]
            if value in seen:
                message = _("“%(value)s” is also on row %(row)d; each entry may appear once.")
                problems.append(Problem(number, field.name, message % {"value": value, "row": seen[value]}))
            seen.setdefault(value, number)
        entries.append(made)
    if problems:
        raise BackupProblem.in_file(entry.name, problems)
    # Nothing names an entry yet: the database holds no records.
    model.objects.all().delete()
    model.objects.bulk_create(entries)
    count = ngettext("%(count)d entry", "%(count)d entries", len(entries)) % {"count": len(entries)}
    return entry.name, count


def entry_problems(made, number):
    """The model's own rules (those of the admin's form), each in its column."""
    try:
        made.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            Problem(number, "" if field == NON_FIELD_ERRORS else field, message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def restore_records(backup, kind, user, source, progress):
    """Each file of a kind imported in turn, as `import_csv` imports a file. Columns that
    name many records of the same kind (an agreement's relations) may name records of a
    later file: every file is first imported without them, then, where they hold anything,
    again with them."""
    resource = resource_for(kind)
    naming_itself = columns_naming_their_kind(resource)
    report, files = [], []
    for entry in backup.files_of(kind):
        dataset = backup.table(entry, resource.get_export_headers())
        if dataset is None:
            report.append((entry.name, _("no records")))
            continue
        later = [name for name in naming_itself if name in dataset.headers]
        if any(any(cell for cell in dataset[name]) for name in later):
            again = _("%(file)s, again for %(columns)s") % {"file": entry.name, "columns": ", ".join(later)}
            files.append((again, entry, dataset))
            dataset = without_columns(dataset, later)
        report.append((entry.name, import_file(resource, dataset, entry, user, source + entry.name, progress)))
    for name, entry, dataset in files:
        report.append((name, import_file(resource, dataset, entry, user, source + name, progress)))
    return report


def columns_naming_their_kind(resource):
    model = resource._meta.model
    return [
        column.column_name
        for column in resource.get_import_fields()
        if column.relations and all(model._meta.get_field(name).related_model is model for name in column.relations)
    ]


def without_columns(dataset, names):
    kept = [position for position, header in enumerate(dataset.headers) if header not in names]
    return tablib.Dataset(
        *([row[position] for position in kept] for row in dataset), headers=[dataset.headers[p] for p in kept]
    )


def import_file(resource, dataset, entry, user, file_name, progress):
    with taking_stored_text():
        result = resource.import_data(
            dataset,
            dry_run=False,
            use_transactions=True,
            user=user,
            file_name=file_name,
            progress=progress(len(dataset)) if progress else None,
        )
    if result.problems:
        raise BackupProblem.in_file(entry.name, result.problems)
    return result.summary()


def restore_previous_slugs(backup):
    """Each old slug leads again to the record it led to: by the record's slug now."""
    (entry,) = backup.files_of(PREVIOUS_SLUGS)
    dataset = backup.table(entry, PREVIOUS_SLUG_COLUMNS)
    rows = list(rows_by_column(dataset)) if dataset is not None else []
    problems, by_kind = [], {kind: [] for kind in RECORDS}
    for number, row in rows:
        if row["kind"] in by_kind:
            by_kind[row["kind"]].append((number, row["previous_slug"], row["slug"]))
        else:
            message = _("“%(kind)s” is not a kind of record: write %(kinds)s.")
            problems.append(Problem(number, "kind", message % {"kind": row["kind"], "kinds": _(" or ").join(by_kind)}))
    slugs = []
    for kind, listed in by_kind.items():
        found, kind_problems = previous_slugs_of(resource_for(kind)._meta.model, listed)
        slugs += found
        problems += kind_problems
    if problems:
        raise BackupProblem.in_file(entry.name, sorted(problems))
    PreviousSlug.objects.bulk_create(slugs)
    return entry.name, ngettext("%(count)d old address", "%(count)d old addresses", len(slugs)) % {"count": len(slugs)}


def previous_slugs_of(model, listed):
    """The PreviousSlugs of one kind from its rows [(row number, previous slug, slug now)],
    and the problems of those rows."""
    content_type = ContentType.objects.get_for_model(model)
    named = {slug for _number, previous, slug in listed} | {previous for _number, previous, _slug in listed}
    pks = {slug: pk for chunk in among(model.objects.values_list("slug", "pk"), "slug", named) for slug, pk in chunk}
    field = PreviousSlug._meta.get_field("slug")
    found, problems, first_row = [], [], {}
    for number, previous, slug in listed:
        try:
            field.clean(previous, None)
        except ValidationError as error:
            problems += [Problem(number, "previous_slug", message) for message in error.messages]
            continue
        if previous in pks:
            message = _("“%(slug)s” is the slug of a record now, so it cannot lead to another.")
            problems.append(Problem(number, "previous_slug", message % {"slug": previous}))
        elif previous in first_row:
            message = _("“%(slug)s” is also on row %(row)d; an old slug leads to one record.")
            problems.append(Problem(number, "previous_slug", message % {"slug": previous, "row": first_row[previous]}))
        elif slug not in pks:
            message = _("No record of this kind has the slug “%(slug)s”.")
            problems.append(Problem(number, "slug", message % {"slug": slug}))
        else:
            found.append(PreviousSlug(content_type=content_type, object_id=pks[slug], slug=previous))
        first_row.setdefault(previous, number)
    return found, problems
