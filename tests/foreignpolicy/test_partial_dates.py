from datetime import date

import pytest
from django.utils import translation

from foreignpolicy.partial_dates import PartialDate, Precision, parse_partial_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2009", PartialDate(date(2009, 1, 1), Precision.YEAR)),
        ("2016-01", PartialDate(date(2016, 1, 1), Precision.MONTH)),
        ("2009-04-28", PartialDate(date(2009, 4, 28), Precision.DAY)),
        ("01/2016", PartialDate(date(2016, 1, 1), Precision.MONTH)),
        ("28/04/2009", PartialDate(date(2009, 4, 28), Precision.DAY)),
        ("3/4/2020", PartialDate(date(2020, 4, 3), Precision.DAY)),
        (" 2011-4-28 ", PartialDate(date(2011, 4, 28), Precision.DAY)),
    ],
)
def test_every_documented_format_is_read(text, expected):
    assert parse_partial_date(text) == expected


def test_slashed_dates_are_day_first_not_us_order():
    assert parse_partial_date("03/04/2020").start == date(2020, 4, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2010", "“31/02/2010” is not a real date: that month has 28 days."),
        ("2010-13", "“2010-13” has no month 13."),
        ("April 2009", "“April 2009” is not a date; write it as YYYY, YYYY-MM, YYYY-MM-DD, MM/YYYY or DD/MM/YYYY."),
        ("09", "“09” is not a date"),
    ],
)
def test_impossible_and_unreadable_dates_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message[:20]) as error:
        parse_partial_date(text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "english", "spanish"),
    [
        ("2009", "2009", "2009"),
        ("2016-01", "January 2016", "enero de 2016"),
        ("2009-04-28", "28 April 2009", "28 de abril de 2009"),
    ],
)
def test_dates_are_shown_at_their_precision_in_each_language(text, english, spanish):
    value = parse_partial_date(text)
    with translation.override("en"):
        assert str(value) == english
    with translation.override("es"):
        assert str(value) == spanish


def test_partial_dates_sort_among_full_dates_by_their_first_day():
    values = [parse_partial_date(text) for text in ["2010-03-05", "2009", "2010", "2009-12"]]
    assert [value.isoformat() for value in sorted(values)] == ["2009", "2009-12", "2010", "2010-03-05"]


def test_a_partial_date_knows_the_last_day_of_its_period():
    assert parse_partial_date("2024-02").end == date(2024, 2, 29)
    assert parse_partial_date("2009").end == date(2009, 12, 31)
