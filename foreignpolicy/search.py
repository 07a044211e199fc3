"""Free-text search in both languages, ignoring case and accents, on both databases.

Each record keeps `search_text`: all its texts, normalised in Python (no accents, lower
case). On SQLite every word of the query must occur in it. On PostgreSQL a migration adds
a stored generated `search_vector` over that column with a GIN index, and the query is a
prefix full-text match, which the index answers without reading every row.
"""

import re

from django.db import connections, migrations
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .text import normalise

_WORD = re.compile(r"\w+")
# The longest search a reader may ask for: a title as long as the longest (300 characters)
# fits. Each word is one more condition: on SQLite some 1,000 of them make a query too deep
# to run at all.
SEARCH_MAX_LENGTH = 300


def search_text(values):
    return normalise(" ".join(str(value) for value in values if value))


def search(queryset, text):
    words = _WORD.findall(normalise(text or ""))
    if not words:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        table = queryset.model._meta.db_table
        matches = RawSQL(
            f'"{table}"."search_vector" @@ to_tsquery(\'simple\', %s)',
            [" & ".join(f"{word}:*" for word in words)],
            output_field=BooleanField(),
        )
        return queryset.filter(matches)
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def fill_search_text(app_label, model_name, fields):
    """A migration operation that computes search_text for the records already there."""

    def fill(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        records = list(model.objects.all())
        for record in records:
            record.search_text = search_text(getattr(record, name) for name in fields)
        model.objects.bulk_update(records, ["search_text"], batch_size=1000)

    return migrations.RunPython(fill, migrations.RunPython.noop)


def search_vector(table):
    """Migration operations that add the indexed search vector on PostgreSQL only."""

    def add(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'ALTER TABLE "{table}" ADD COLUMN "search_vector" tsvector '
                f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, \"search_text\")) STORED"
            )
            schema_editor.execute(f'CREATE INDEX "{table}_search" ON "{table}" USING gin ("search_vector")')

    def remove(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN "search_vector"')

    return migrations.RunPython(add, remove)
