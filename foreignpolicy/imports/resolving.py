"""Stage 2, resolve: what every cell means, with every name looked up in bulk."""

from .lookups import LookupContext
from .problems import Problem


def resolve(rows, columns, model):
    """Fill each row's values from its cells; problems for cells that cannot be read."""
    context = LookupContext(model, {row.slug: row for row in rows if row.slug})
    for column in columns:
        column.widget.prepare([row.cells[column.column_name] for row in rows], context)
    problems = []
    for row in rows:
        for column in columns:
            name = column.column_name
            try:
                row.values[name] = column.widget.clean(row.cells[name])
            except ValueError as error:
                problems.append(Problem(row.number, name, str(error)))
                row.failed.add(name)
    return problems
