"""Dates known only to the year or the month ("2009", "January 2016").

A partial date is stored as two columns: a real DateField holding the first day of the
period, so that it sorts and filters among full dates, and its precision.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    YEAR = "year", _("year")
    MONTH = "month", _("month")
    DAY = "day", _("day")


@dataclass(frozen=True, order=True)
class PartialDate:
    start: date
    precision: str = Precision.DAY

    @property
    def end(self):
        """The last day of the period the date stands for."""
        if self.precision == Precision.YEAR:
            return date(self.start.year, 12, 31)
        if self.precision == Precision.MONTH:
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return date(self.start.year, self.start.month, last)
        return self.start

    def isoformat(self):
        if self.precision == Precision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision == Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def __str__(self):
        if self.precision == Precision.YEAR:
            return str(self.start.year)
        if self.precision == Precision.MONTH:
            return formats.date_format(self.start, "YEAR_MONTH_FORMAT")
        return formats.date_format(self.start, "DATE_FORMAT")


_ISO = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?$")
_DAY_FIRST = re.compile(r"^(?:(?P<day>\d{1,2})[/.-])?(?P<month>\d{1,2})[/.-](?P<year>\d{4})$")
ACCEPTED_FORMATS = "YYYY, YYYY-MM, YYYY-MM-DD, MM/YYYY or DD/MM/YYYY"


def parse_partial_date(text):
    """Read YYYY, YYYY-MM, YYYY-MM-DD, MM/YYYY or day-first DD/MM/YYYY.

    Raises ValueError with a message a spreadsheet user can act on.
    """
    text = text.strip()
    match = _ISO.match(text) or _DAY_FIRST.match(text)
    if not match:
        raise ValueError(
            _("“%(value)s” is not a date; write it as %(formats)s.") % {"value": text, "formats": ACCEPTED_FORMATS}
        )
    year = int(match["year"])
    month = int(match["month"]) if match["month"] else None
    day = int(match["day"]) if match["day"] else None
    if month is not None and not 1 <= month <= 12:
        raise ValueError(_("“%(value)s” has no month %(month)d.") % {"value": text, "month": month})
    if day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise ValueError(
                _("“%(value)s” is not a real date: that month has %(last)d days.") % {"value": text, "last": last}
            )
        return PartialDate(date(year, month, day), Precision.DAY)
    if month is not None:
        return PartialDate(date(year, month, 1), Precision.MONTH)
    return PartialDate(date(year, 1, 1), Precision.YEAR)


class PartialDateAttribute:
    """Reads and writes `<name>` and `<name>_precision` as one PartialDate.

    signed_on = models.DateField(null=True, blank=True)
    signed_on_precision = precision_field()
    signed = PartialDateAttribute("signed_on")
    """

    def __init__(self, date_field):
        self.date_field = date_field
        self.precision_field = f"{date_field}_precision"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self.of(getattr(instance, self.date_field), getattr(instance, self.precision_field))

    @staticmethod
    def of(start, precision):
        """The PartialDate the two stored values make (None for no date)."""
        return None if start is None else PartialDate(start, precision or Precision.DAY)

    def __set__(self, instance, partial_date):
        if partial_date is None:
            setattr(instance, self.date_field, None)
            setattr(instance, self.precision_field, Precision.DAY)
        else:
            setattr(instance, self.date_field, partial_date.start)
            setattr(instance, self.precision_field, partial_date.precision)


def precision_field():
    return models.CharField(_("precision"), max_length=5, choices=Precision.choices, default=Precision.DAY)
