"""How a cell's names find the entries and records they mean.

The order is documented in docs/csv-format.md ("How names are matched"): a slug or code,
of a record in the database or of a row of the same file, wins over every other
spelling (an acronym, a name, an alias); other spellings are matched as they will be once
the file is imported; a spelling shared by several entries is an error that names them.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..text import normalise


@dataclass
class LookupContext:
    """The little a column needs to resolve names: the kind being imported and, for
    references to that same kind, the file's rows by slug (their number and cells)."""

    model: type
    rows: dict = field(default_factory=dict)

    def rows_of(self, model):
        return self.rows if model is self.model else {}


class PendingRecord:
    """A record another row of the same file creates: known by slug until it is saved."""

    def __init__(self, slug, row=0):
        self.slug = slug
        self.row = row
        self.pk = None

    def __eq__(self, other):
        return isinstance(other, PendingRecord) and other.slug == self.slug

    def __hash__(self):
        return hash(self.slug)

    def __str__(self):
        return _("row %(row)d of this file") % {"row": self.row}


class Lookup:
    """Spellings → the entries they name, tier by tier: the first tier holding a spelling
    answers for it. Within a tier one spelling may name several entries (ambiguous)."""

    def __init__(self, tiers):
        self.tiers = []
        for pairs in tiers:
            index = {}
            for spelling, entry in pairs:
                key = normalise(spelling or "")
                if not key:
                    continue
                entries = index.setdefault(key, [])
                if entry not in entries:
                    entries.append(entry)
            self.tiers.append(index)

    def find(self, spelling):
        """[] when nothing matches, [entry] when one does, several when it is ambiguous."""
        key = normalise(spelling or "")
        for index in self.tiers:
            if key in index:
                return index[key]
        return []
