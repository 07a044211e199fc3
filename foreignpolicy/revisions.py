"""Revisions of directorates, agreements and events: every save keeps one (who, when,
how, and the whole record with its relations), kept by django-reversion.

A form's save goes through django-reversion's own recording (`recording`). Imports,
undos and the list's actions write thousands of records at once; for them
`record_revision` stores the same versions in bulk, read back from the database in a few
queries, where django-reversion's own path would serialise each record on its own (a
query per record and relation)."""

import json
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from types import SimpleNamespace

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.dispatch import receiver
from django.utils import formats, timezone
from django.utils.encoding import is_protected_type
from django.utils.text import capfirst
from django.utils.translation import gettext
from reversion.models import Revision, Version
from reversion.signals import post_revision_commit

from .bulk import insert_values
from .columns import among, linked_keys, split_keys
from .imports.diffing import NamedEntries
from .models import RevisionSource
from .partial_dates import PartialDate, PartialDateAttribute, Precision

# Not kept: the search text is derived, the times are the revision's own, and who
# changed or published last, and when, is what the revisions themselves tell.
NOT_KEPT = {
    "search_text",
    "step_references",  # derived from an agreement's steps, which the revision keeps
    "created_at",
    "updated_at",
    "changed_by",
    "published_by",
    "published_at",
    "withdrawn_at",
}
VERSION_COLUMNS = ["revision_id", "object_id", "content_type_id", "db", "format", "serialized_data", "object_repr"]
# What a restore leaves as it is: publishing stays a publisher's act.
PUBLICATION = {"is_published", "publish_at"}


def kept_fields(model):
    concrete = [field for field in model._meta.concrete_fields if not field.primary_key and field.name not in NOT_KEPT]
    return concrete, list(model._meta.many_to_many)


# The parts each revision of a record keeps too: {model: its reverse relations' names}
# (an agreement's steps and participants), as versions of their own in the revision.
PARTS = {}


def versioned(model=None, *, parts=()):
    """Class decorator: keep the model's revisions, with its `parts` (see PARTS)."""

    def register(model):
        concrete, many = kept_fields(model)
        reversion.register(model, fields=[field.name for field in concrete + many])
        if parts:
            PARTS[model] = tuple(parts)
        return model

    return register if model is None else register(model)


def part_relations(model):
    """(relation name, part model, the part's field naming its record) of each of the model's parts."""
    for name in PARTS.get(model, ()):
        relation = model._meta.get_field(name)
        yield name, relation.related_model, relation.field


@receiver(post_revision_commit)
def keep_parts(sender, revision, versions, **kwargs):
    """A revision django-reversion wrote (a form's save) keeps the parts of its records as
    they are once the form's inlines are saved too."""
    for model in PARTS:
        content_type = ContentType.objects.get_for_model(model)
        pks = [version.object_id for version in versions if version.content_type_id == content_type.pk]
        if pks:
            record_parts(revision, model, [model._meta.pk.to_python(pk) for pk in pks])


def record_parts(revision, model, pks):
    """Versions, in `revision`, of the parts of the records `pks` as the database holds them."""
    for _name, part_model, parent in part_relations(model):
        concrete, _many = kept_fields(part_model)
        content_type = ContentType.objects.get_for_model(part_model)
        names = [field.attname for field in concrete]
        parts = part_model.objects.order_by().values_list("pk", *names)
        for chunk in among(parts, parent.attname, pks):
            rows = [
                (
                    revision.pk,
                    str(pk),
                    content_type.pk,
                    parts.db,
                    "json",
                    serialized(part_model, pk, dict(zip(names, values, strict=True)), {}),
                    "",
                )
                for pk, *values in chunk
            ]
            insert_values(Version, VERSION_COLUMNS, rows)


@contextmanager
def recording(user, how, **source):
    """Every save of a versioned record inside the block goes into one revision."""
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.add_meta(RevisionSource, how=how, **source)
        yield


def record_revision(model, pks, *, user, how, **source):
    """One revision of the records `pks` as the database holds them now; None for none."""
    pks = list(pks)
    if not pks:
        return None
    revision = Revision.objects.create(date_created=timezone.now(), user=user, comment="")
    RevisionSource.objects.create(revision=revision, how=how, **source)
    content_type = ContentType.objects.get_for_model(model)
    concrete, many = kept_fields(model)
    # Values, not model instances: making 10,000 instances cost as much as the rest.
    records = (
        model.objects.order_by()
        .annotate(**{f"linked_{field.name}": linked_keys(model, field.name, "pk") for field in many})
        .values_list("pk", *(field.attname for field in concrete), *(f"linked_{field.name}" for field in many))
    )
    label = [f"{model.title_field}_{language}" for language in ("en", "es")]
    names = [field.attname for field in concrete] + [field.name for field in many]
    keys = {field.name: field.related_model._meta.pk.to_python for field in many}
    for chunk in among(records, "pk", pks):
        rows = []
        for pk, *values in chunk:
            data = dict(zip(names, values, strict=True))
            text = serialized(model, pk, data, keys)
            title = data.get(label[0]) or data.get(label[1]) or ""
            rows.append((revision.pk, str(pk), content_type.pk, records.db, "json", text, title[:200]))
        insert_values(Version, VERSION_COLUMNS, rows)
    record_parts(revision, model, pks)
    return revision


def serialized(model, pk, data, keys):
    """A record's `data` (its fields' values by attname, its links' keys as a subquery lists
    them, by relation, each read with `keys[relation]`) as Django's JSON serializer writes
    the record: what django-reversion stores and reads back."""
    concrete, _many = kept_fields(model)
    fields = {}
    for field in concrete:
        value = data[field.attname]
        # A text is its own string; other values the serializer writes as value_to_string does.
        if not (isinstance(value, str) or is_protected_type(value)):
            value = field.value_to_string(SimpleNamespace(**{field.attname: value}))
        fields[field.name] = value
    for name, key in keys.items():
        fields[name] = [key(listed) for listed in split_keys(data[name])]
    return json.dumps([{"model": model._meta.label_lower, "pk": pk, "fields": fields}], cls=DjangoJSONEncoder)


@dataclass
class Difference:
    """How one field differs between two revisions, as staff read it: for a relation, the
    names removed and added; for any other field, the value before and after."""

    label: str
    before: str = ""
    after: str = ""
    removed: list = dataclass_field(default_factory=list)
    added: list = dataclass_field(default_factory=list)


class Names(NamedEntries):
    """What staff call the entries revisions name (a type, a country, a directorate), each
    made once however many revisions name it; one since deleted reads as its key."""

    def names(self, model, pks):
        made = self.of(model, pks)
        return [str(made[pk]) if pk in made else gettext("deleted entry %(key)s") % {"key": pk} for pk in pks]


def differences(model, before, after, names=None):
    """The fields that differ between two revisions' data (Version.field_dict; `before`
    None for a record's first revision), in the form's order, in the active language."""
    names = names or Names()
    before = before or {}
    concrete, many = kept_fields(model)
    dates = partial_dates(model)
    precisions = {attribute.precision_field for attribute in dates.values()}
    found = []
    for field in concrete:
        if field.name in precisions:
            continue
        if field.name in dates:
            keys = [field.attname, dates[field.name].precision_field]
            old, new = (tuple(data.get(key) for key in keys) for data in (before, after))
            if old != new:
                found.append(Difference(capfirst(field.verbose_name), partial_date_text(*old), partial_date_text(*new)))
        elif before.get(field.attname) != after.get(field.attname):
            found.append(
                Difference(
                    capfirst(field.verbose_name),
                    value_text(field, before.get(field.attname), names),
                    value_text(field, after.get(field.attname), names),
                )
            )
    for field in many:
        old, new = set(before.get(field.name) or []), set(after.get(field.name) or [])
        if old != new:
            found.append(
                Difference(
                    capfirst(field.verbose_name),
                    removed=sorted(names.names(field.related_model, sorted(old - new, key=str))),
                    added=sorted(names.names(field.related_model, sorted(new - old, key=str))),
                )
            )
    return found


def parts_of_versions(model, versions):
    """{version pk: {relation name: [the part's data by attname]}} of the parts the
    revisions of `versions` (of records of `model`) keep, in two queries however many."""
    relations = list(part_relations(model))
    kept = {version.pk: {name: [] for name, _part_model, _parent in relations} for version in versions if version}
    if not relations or not kept:
        return kept
    by_record = {(version.revision_id, version.object_id): version.pk for version in versions if version}
    types = {ContentType.objects.get_for_model(relation[1]).pk: relation for relation in relations}
    revisions = {revision for revision, _record in by_record}
    for part in Version.objects.filter(revision__in=revisions, content_type__in=types).order_by("pk"):
        name, part_model, parent = types[part.content_type_id]
        data = part_data(part_model, part.serialized_data)
        version = by_record.get((part.revision_id, str(data[parent.attname])))
        if version is not None:
            kept[version][name].append(data)
    return kept


def part_data(model, serialized_data):
    """A part's values by attname, from the JSON serialized_data of its version."""
    fields = json.loads(serialized_data)[0]["fields"]
    concrete, _many = kept_fields(model)
    return {field.attname: field.to_python(fields.get(field.name)) for field in concrete}


def current_parts(record):
    """The record's parts as it stands, in the form of parts_of_versions()' values."""
    concrete = {}
    parts = {}
    for name, part_model, _parent in part_relations(type(record)):
        concrete[name], _many = kept_fields(part_model)
        parts[name] = [
            {field.attname: getattr(part, field.attname) for field in concrete[name]}
            for part in getattr(record, name).all()
        ]
    return parts


def part_differences(model, before, after, names):
    """How the parts differ between two revisions (parts_of_versions' values): the parts
    removed and added, each as a line of its values."""
    found = []
    for name, part_model, parent in part_relations(model):
        old = [part_text(part_model, parent, data, names) for data in in_date_order(part_model, before.get(name, []))]
        new = [part_text(part_model, parent, data, names) for data in in_date_order(part_model, after.get(name, []))]
        if sorted(old) != sorted(new):
            found.append(
                Difference(
                    capfirst(part_model._meta.verbose_name_plural),
                    removed=[text for text in old if text not in new],
                    added=[text for text in new if text not in old],
                )
            )
    return found


def in_date_order(model, parts):
    dates = list(partial_dates(model))
    return sorted(parts, key=lambda data: [(data.get(name) is None, data.get(name) or "") for name in dates])


def part_text(model, parent, data, names):
    """A part as a line of its values: "Ratification · 4 March 2008 · D.S. N° 010-2008-RE"."""
    concrete, _many = kept_fields(model)
    dates = partial_dates(model)
    precisions = {attribute.precision_field for attribute in dates.values()}
    pieces = []
    for field in concrete:
        if field.name == parent.name or field.name in precisions:
            continue
        if field.name in dates:
            text = partial_date_text(data.get(field.attname), data.get(dates[field.name].precision_field))
        else:
            text = value_text(field, data.get(field.attname), names)
        if text:
            pieces.append(text)
    return " · ".join(pieces)


def partial_dates(model):
    """{date field name: its PartialDateAttribute}, for the model's dates of a precision."""
    return {
        attribute.date_field: attribute
        for klass in model.__mro__
        for attribute in vars(klass).values()
        if isinstance(attribute, PartialDateAttribute)
    }


def partial_date_text(day, precision):
    if day is None:
        return ""
    return str(PartialDate(day, precision or Precision.DAY))


def value_text(field, value, names):
    if value is None or value == "":
        return ""
    if field.many_to_one:
        return names.names(field.related_model, [value])[0]
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        return local_time(value)
    return str(value)


def local_time(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def current_data(record):
    """The record as it stands, in the form of a revision's data (Version.field_dict)."""
    concrete, many = kept_fields(type(record))
    data = {field.attname: getattr(record, field.attname) for field in concrete}
    data.update((field.name, list(getattr(record, field.name).values_list("pk", flat=True))) for field in many)
    return data


def restore(version, user):
    """Make the record what `version` holds, as a new revision, except whether and when
    it is public: restoring never publishes (nor withdraws) by itself. Returns the record
    and notes on what could not be restored (entries deleted since); raises
    ValidationError, with nothing saved, when the result breaks a rule (a slug taken since)."""
    model = version._model
    record = model.objects.get(pk=version.object_id)
    data = version.field_dict
    concrete, many = kept_fields(model)
    notes = []
    for field in concrete:
        if field.name in PUBLICATION or field.attname not in data:
            continue
        value = data[field.attname]
        if field.many_to_one and value is not None and not field.related_model._base_manager.filter(pk=value).exists():
            notes.append(
                gettext("%(field)s: the revision’s entry has been deleted since, so the current one is kept.")
                % {"field": capfirst(field.verbose_name)}
            )
            continue
        setattr(record, field.attname, value)
    links = {}
    for field in many:
        wanted = data.get(field.name) or []
        links[field] = list(field.related_model._base_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        if len(links[field]) < len(wanted):
            notes.append(
                gettext("%(field)s: entries deleted since are left out.") % {"field": capfirst(field.verbose_name)}
            )
    record.full_clean()
    record.changed_by = user
    parts = parts_of_versions(model, [version])[version.pk]
    with transaction.atomic(), recording(user, RevisionSource.How.RESTORE, restored=version.revision):
        notes += restore_parts(record, parts)
        record.save()
        for field, pks in links.items():
            getattr(record, field.name).set(pks)
    return record, notes


def restore_parts(record, parts):
    """Give the record the parts a revision keeps (parts_of_versions' values); notes for
    those naming an entry deleted since, which are left out."""
    notes = []
    for name, part_model, parent in part_relations(type(record)):
        concrete, _many = kept_fields(part_model)
        foreign_keys = [field for field in concrete if field.many_to_one and field.name != parent.name]
        made, lost = [], 0
        for data in parts.get(name, []):
            if any(
                data[field.attname] is not None
                and not field.related_model._base_manager.filter(pk=data[field.attname]).exists()
                for field in foreign_keys
            ):
                lost += 1
                continue
            made.append(part_model(**{**data, parent.attname: record.pk}))
        getattr(record, name).all().delete()
        part_model.objects.bulk_create(made)
        if lost:
            notes.append(
                gettext("%(parts)s: %(count)d left out, as they name entries deleted since.")
                % {"parts": capfirst(part_model._meta.verbose_name_plural), "count": lost}
            )
    return notes
