"""Free-text search in both languages, ignoring case and accents, on both databases.

Each record keeps `search_text`: all its texts, normalised in Python (no accents, lower
case). On SQLite every word of the query must occur in it. On PostgreSQL a migration adds
a stored generated `search_vector` over that column with a GIN index, and the query is a
prefix full-text match, which the index answers without reading every row.

A word or phrase of the query that is one of the ways of naming a thing (SYNONYMS: "TLC",
"FTA" and "free trade agreement"; "OEA" and "OAS") matches any of them, each as whole words.
"""

import re

from django.db import connections, migrations
from django.db.models import BooleanField, Q
from django.db.models.expressions import Expression
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .text import normalise

_WORD = re.compile(r"\w+")
# The longest search a reader may ask for: a title as long as the longest (300 characters)
# fits. Each word is one more condition: on SQLite some 1,000 of them make a query too deep
# to run at all.
SEARCH_MAX_LENGTH = 300

# Names of one thing, in Spanish and English, as the seed documents and the press write
# them: agreement kinds and the organisations most often abbreviated (normalised: no accents).
SYNONYMS = [
    ("tlc", "fta", "free trade agreement", "tratado de libre comercio", "acuerdo de libre comercio"),
    ("apc", "tpa", "trade promotion agreement", "acuerdo de promocion comercial"),
    ("ace", "economic complementation agreement", "acuerdo de complementacion economica"),
    ("aae", "epa", "economic partnership agreement", "acuerdo de asociacion economica"),
    ("oea", "oas", "organization of american states", "organizacion de los estados americanos"),
    ("onu", "un", "united nations", "naciones unidas"),
    ("ue", "eu", "european union", "union europea"),
    ("omc", "wto", "world trade organization", "organizacion mundial del comercio"),
    ("can", "andean community", "comunidad andina"),
    ("aelc", "efta", "european free trade association", "asociacion europea de libre comercio"),
    ("apec", "asia pacific economic cooperation", "foro de cooperacion economica asia pacifico"),
    ("cptpp", "tpp 11", "comprehensive and progressive agreement for trans pacific partnership"),
]
_ALTERNATIVES = sorted(
    ((tuple(name.split()), group) for group in SYNONYMS for name in group), key=lambda item: -len(item[0])
)


class Term:
    """One condition of a search: a word of the query, matched as the start of a word of the
    text; or, for a name in SYNONYMS, any of its names, each as whole words."""

    def __init__(self, word=None, names=()):
        self.word = word
        self.names = [tuple(name.split()) for name in names]

    def matches(self, words, start):
        """How many of `words` (a text's normalised words) from `start` this term covers, or 0."""
        if self.word is not None:
            return 1 if words[start].startswith(self.word) else 0
        for name in self.names:
            if tuple(words[start : start + len(name)]) == name:
                return len(name)
        return 0


def terms_of(text):
    words = _WORD.findall(normalise(text or ""))
    terms, position = [], 0
    while position < len(words):
        for name, group in _ALTERNATIVES:
            if tuple(words[position : position + len(name)]) == name:
                terms.append(Term(names=group))
                position += len(name)
                break
        else:
            terms.append(Term(word=words[position]))
            position += 1
    return terms


def search_text(values):
    return normalise(" ".join(str(value) for value in values if value))


def search(queryset, text):
    terms = terms_of(text)
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        alias = queryset.query.get_initial_alias()
        return queryset.filter(VectorMatch(alias, " & ".join(tsquery(term) for term in terms)))
    for term in terms:
        queryset = queryset.filter(sqlite_condition(term))
    return queryset


class VectorMatch(Expression):
    """`search_vector @@ to_tsquery(query)` on the table `alias` names: the column is the
    migration's, not a field Django knows, and the alias changes when the query becomes a
    subquery (relabeled_clone), where a table name written out would point elsewhere."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, alias, query):
        super().__init__()
        self.alias, self.query = alias, query

    def relabeled_clone(self, change_map):
        return VectorMatch(change_map.get(self.alias, self.alias), self.query)

    def as_sql(self, compiler, connection):
        column = f'{compiler.quote_name_unless_alias(self.alias)}."search_vector"'
        return f"{column} @@ to_tsquery('simple', %s)", [self.query]


def tsquery(term):
    if term.word is not None:
        return f"{term.word}:*"
    return "(" + " | ".join(" <-> ".join(name) for name in term.names) + ")"


def sqlite_condition(term):
    if term.word is not None:
        return Q(search_text__contains=term.word)
    condition = Q()
    for name in term.names:
        condition |= Q(search_text__regex=rf"(^|\W){re.escape(' '.join(name))}($|\W)")
    return condition


SNIPPET_WORDS = 30


def snippet(text, query, words=SNIPPET_WORDS):
    """Some `words` of `text` around the first that the search `query` matched, those it
    matched marked (<mark>); None when it matched none. HTML-escaped."""
    terms = terms_of(query)
    found = list(_WORD.finditer(text or ""))
    normalised = [normalise(match.group()) for match in found]
    marked = set()
    for position in range(len(found)):
        for term in terms:
            covered = term.matches(normalised, position) if normalised[position] else 0
            marked.update(range(position, position + covered))
    if not marked:
        return None
    first = min(marked)
    start = max(first - words // 3, 0)
    end = min(start + words, len(found))
    pieces = ["…" if start else ""]
    cursor = found[start].start() if start else 0
    for position in range(start, end):
        match = found[position]
        pieces.append(escape(text[cursor : match.start()]))
        word = escape(match.group())
        pieces.append(f"<mark>{word}</mark>" if position in marked else word)
        cursor = match.end()
    pieces.append(escape(text[cursor:]) if end == len(found) else "…")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the text is escaped


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
