"""Bulk writes that stay fast at tens of thousands of rows."""

import gc
from contextlib import contextmanager, nullcontext

from django.db import connections
from django.db.models import AutoField


@contextmanager
def without_cycle_collection():
    """Reading, planning or writing a large file, without Python's collector of reference
    cycles (usable as a decorator; nested uses keep it off until the outermost ends).

    A file's rows are hundreds of thousands of small objects that live until the import
    ends; the collector went through them again and again as they were made, some 30% of
    a re-import's time at 100,000 rows. The pipeline makes no cycles of its own, and
    reference counting frees everything else as before (docs/performance.md: the peak
    memory did not change)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Internal types whose fields prepare a value of this exact Python type as the value itself,
# for psycopg to adapt: calling get_db_prep_save on them was a third of a COPY's Python
# time at 100,000 records and their links.
PREPARED_AS_THEY_ARE = {
    "AutoField": int,
    "BigAutoField": int,
    "BigIntegerField": int,
    "BooleanField": bool,
    "CharField": str,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "SlugField": str,
    "SmallIntegerField": int,
    "TextField": str,
}


def preparer(field, connection):
    """A function giving what `field.get_db_prep_save` gives for a value, faster."""
    prepare = field.get_db_prep_save
    stored = field.target_field if field.many_to_one else field
    as_it_is = PREPARED_AS_THEY_ARE.get(stored.get_internal_type())
    if as_it_is is None:
        return lambda value: prepare(value, connection)
    return lambda value: value if value is None or type(value) is as_it_is else prepare(value, connection)


def bulk_create(model, objects, batch_size=1000, *, pks=True):
    """Like QuerySet.bulk_create, but on PostgreSQL as one COPY, which spares the SQL
    text of a multi-row INSERT and its parameters (docs/performance.md, "Upload, preview,
    confirm and undo"); `batch_size` is the other databases'.

    Each value is what bulk_create writes (the field's pre_save, so auto_now and
    auto_now_add, then get_db_prep_save). The primary keys are taken from the table's
    sequence first, in one query, and set on the objects, so nothing needs reading back;
    with `pks=False` (rows nobody refers to, such as links) the database numbers them and
    the objects keep None. Inside the caller's transaction, like every query."""
    objects = list(objects)
    manager = model._default_manager
    connection = connections[manager.db]
    opts = model._meta
    fields = [field for field in opts.concrete_fields if not field.generated]
    auto_pk = isinstance(opts.pk, AutoField)
    if (
        connection.vendor != "postgresql"
        or not objects
        or not auto_pk
        or any(field.has_db_default() for field in fields)
        or any(obj.pk is not None for obj in objects)
    ):
        manager.bulk_create(objects, batch_size=batch_size)
        return objects
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    table = connection.ops.quote_name(opts.db_table)
    with connection.cursor() as cursor:
        if pks:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                [table, opts.pk.column, len(objects)],
            )
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
        else:
            fields = [field for field in fields if field is not opts.pk]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        prepared = [(field.pre_save, preparer(field, connection)) for field in fields]
        values = ([prepare(pre_save(obj, True)) for pre_save, prepare in prepared] for obj in objects)
        copy_rows(connection, cursor, f"COPY {table} ({columns}) FROM STDIN", values)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def insert_values(model, attnames, rows, batch_size=1000):
    """New records, numbered by the database, from rows of values of every field but the
    primary key (by attname): on PostgreSQL one COPY of what each field prepares of them,
    without the model instance per row that cost seconds at half a million links;
    elsewhere bulk_create. For fields whose value is what they save (no auto_now)."""
    manager = model._default_manager
    connection = connections[manager.db]
    opts = model._meta
    fields = [opts.get_field(name) for name in attnames]
    if {field.attname for field in fields} != {field.attname for field in opts.concrete_fields if field is not opts.pk}:
        raise ValueError(f"insert_values() needs a value for every field of {opts.label} but its key.")
    if connection.vendor != "postgresql":
        manager.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=batch_size)
        return
    if not rows:
        return
    table = connection.ops.quote_name(opts.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    prepared = [preparer(field, connection) for field in fields]
    values = ([prepare(value) for prepare, value in zip(prepared, row, strict=True)] for row in rows)
    with connection.cursor() as cursor:
        copy_rows(connection, cursor, f"COPY {table} ({columns}) FROM STDIN", values)


def copy_rows(connection, cursor, sql, rows):
    # The raw psycopg cursor: its errors made Django's (DatabaseError), and the COPY
    # counted as a query where queries are counted (tests, DEBUG).
    debug = getattr(cursor, "debug_sql", None)
    logged = debug(sql) if debug else nullcontext()
    with connection.wrap_database_errors, logged, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def bulk_update(model, objects, field_names, batch_size=1000):
    """Like QuerySet.bulk_update, but on PostgreSQL as one UPDATE … FROM (VALUES …) per
    batch: Django's CASE WHEN form costs seconds of Python and SQL per thousand rows."""
    objects = list(objects)
    manager = model._default_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql":
        manager.bulk_update(objects, field_names, batch_size=batch_size)
        return
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [pk, *fields]
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.{connection.ops.quote_name(field.column)}" for field in fields
    )
    names = ", ".join(connection.ops.quote_name(field.column) for field in columns)
    key = connection.ops.quote_name(pk.column)
    placeholder = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
    prepared = [(field.attname, preparer(field, connection)) for field in columns]
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            params = [prepare(getattr(obj, attname)) for obj in batch for attname, prepare in prepared]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([placeholder] * len(batch))}) "
                f"AS v({names}) WHERE {table}.{key} = v.{key}",
                params,
            )
