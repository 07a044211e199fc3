"""Stage 2, resolve: what every cell means, with every name looked up in bulk."""

from .lookups import LookupContext
from .problems import Problem


class CellMeanings:
    """What the cells of one column mean, how they are written back and how a preview
    describes them. Most columns of a large file hold a few values many times (a type,
    a list of parties, a date), so for a widget that `repeats` each distinct cell is read,
    and each distinct value written, once."""

    def __init__(self, widget):
        self.widget = widget
        self.read, self.written, self.described = {}, {}, {}

    def clean(self, cell):
        """The value of `cell`, or ValueError with the message for the user."""
        try:
            value, error = self.read[cell]
        except KeyError:
            value, error = self._clean(cell)
            if self.widget.repeats:
                self.read[cell] = value, error
        if error:
            raise ValueError(error)
        return value

    def _clean(self, cell):
        try:
            return self.widget.clean(cell), None
        except ValueError as error:
            return None, str(error)

    def render(self, cell, value):
        """`value`, read from `cell`, in the canonical form an export writes."""
        return self._written(("cell", cell), lambda: value)

    def render_stored(self, key, value):
        """A record's stored value, known by `key` (its plain values: keys, a date and its
        precision), in the canonical form; `value()` gives the value itself."""
        return self._written(key, value)

    def _written(self, key, value):
        if not self.widget.repeats:
            return self.widget.render(value())
        if key not in self.written:
            self.written[key] = self.widget.render(value())
        return self.written[key]

    def describe(self, cell, value):
        """What the preview says it understood of `cell`, read as `value`."""
        if not self.widget.repeats:
            return self.widget.describe(value)
        if cell not in self.described:
            self.described[cell] = self.widget.describe(value)
        return self.described[cell]


def resolve(rows, columns, model):
    """Fill each row's values from its cells; returns ({column name: CellMeanings}, problems
    for cells that cannot be read)."""
    context = LookupContext(model, {row.slug: row for row in rows if row.slug})
    meanings = {}
    for column in columns:
        column.widget.prepare([row.cells[column.column_name] for row in rows], context)
        meanings[column.column_name] = CellMeanings(column.widget)
    problems = []
    for row in rows:
        for name, meaning in meanings.items():
            try:
                row.values[name] = meaning.clean(row.cells[name])
            except ValueError as error:
                problems.append(Problem(row.number, name, str(error)))
                row.failed.add(name)
    return meanings, problems
