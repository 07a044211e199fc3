from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True, order=True)
class Problem:
    """What is wrong with a file, a row or a cell. A warning (a likely duplicate) does not
    stop the import, unless the import is strict."""

    row: int  # the spreadsheet's row number (the header is row 1); 0 for the whole file
    column: str  # "" when the problem is not in one column
    message: str
    warning: bool = False
    link: str = ""  # the admin page of a record the message names

    def __str__(self):
        if not self.row:
            if self.column:
                return _("Column “%(column)s”: %(message)s") % {"column": self.column, "message": self.message}
            return self.message
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}

    def as_error(self):
        return Problem(self.row, self.column, self.message, warning=False, link=self.link)


def in_file_order(problems, header_names):
    """Once each, by row, and within a row in the order of the file's columns."""
    order = {name: position for position, name in enumerate(header_names)}
    return sorted(dict.fromkeys(problems), key=lambda p: (p.row, order.get(p.column, -1) if p.row else 0))
