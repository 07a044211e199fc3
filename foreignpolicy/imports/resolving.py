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
        # Distinct cells: what each means, its value's canonical form, its description;
        # and the canonical form of each distinct stored value, by its key.
        self.read, self.canonical, self.described, self.written = {}, {}, {}, {}

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
        if not self.widget.repeats:
            return self.widget.render(value)
        try:
            return self.canonical[cell]
        except KeyError:
            self.canonical[cell] = written = self.widget.render(value)
            return written

    def render_stored(self, read, record):
        """The value a record holds (a StoredRecord, read by a StoredColumn), in the
        canonical form; a repeating column's is worked out once per distinct key."""
        if not self.widget.repeats:
            return self.widget.render(read.value(record))
        key = read.key(record)
        try:
            return self.written[key]
        except KeyError:
            self.written[key] = written = self.widget.render(read.value(record))
            return written

    def sameness(self, read):
        """A function of a cell and a StoredRecord: whether the cell says what the record
        holds already, its value read by `read` (a StoredColumn). A repeating column's cell
        is read, once per distinct cell, and its value compared in canonical form with the
        stored value's (see render_stored); any other cell is compared as written with the
        stored value's canonical form, which reads back as that value. Called for every
        cell of a file imported again, so it looks in its caches first."""
        pick = read.pick
        if not self.widget.repeats:
            render, value_of = self.widget.render, read.value
            if self.widget.stored_as_written:
                return lambda cell, record: cell == pick(record.values) or cell == render(value_of(record))
            return lambda cell, record: cell == render(value_of(record))
        verdicts = {}

        def same(cell, record):
            pair = cell, pick(record.values)
            verdict = verdicts.get(pair)
            if verdict is None:
                try:
                    verdict = self.render(cell, self.clean(cell)) == self.render_stored(read, record)
                except ValueError:
                    verdict = False  # the row is read in full, and the cell's problem told
                verdicts[pair] = verdict
            return verdict

        return same

    def describe(self, cell, value):
        """What the preview says it understood of `cell`, read as `value`."""
        if not self.widget.repeats:
            return self.widget.describe(value)
        if cell not in self.described:
            self.described[cell] = self.widget.describe(value)
        return self.described[cell]


def prepared_meanings(rows, columns, model):
    """{column name: CellMeanings}, each column's widget prepared for the file's cells."""
    context = LookupContext(model, {row.slug: row for row in rows if row.slug})
    meanings = {}
    for column in columns:
        column.widget.prepare([row.cells[column.column_name] for row in rows], context)
        meanings[column.column_name] = CellMeanings(column.widget)
    return meanings


def resolve(rows, meanings):
    """Fill each row's values from its cells; problems for cells that cannot be read."""
    problems = []
    for row in rows:
        row.values, row.failed = {}, set()
        for name, meaning in meanings.items():
            try:
                row.values[name] = meaning.clean(row.cells[name])
            except ValueError as error:
                problems.append(Problem(row.number, name, str(error)))
                row.failed.add(name)
    return problems
