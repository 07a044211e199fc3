"""iCalendar (RFC 5545) for upcoming events: all-day entries at the precision they are known.

The icalendar package writes the file, so that every text is escaped (backslash, comma,
semicolon and every line break, a lone carriage return included) and every line folded
at 75 octets without splitting a character: no text of a record can end a property or
start another.
"""

from datetime import timedelta

import icalendar
from django.utils import timezone

from foreignpolicy.partial_dates import Precision

PRODUCT = "-//foreignpolicy//events//ES"


def calendar_event(event, request, stamp):
    start = event.when
    last = event.until or start
    entry = icalendar.Event()
    entry.add("uid", f"{event.slug}@{request.get_host()}")
    entry.add("dtstamp", stamp)
    # A date known only to the month or the year spans the whole period, all day.
    entry.add("dtstart", start.start)
    # DTEND of an all-day event is the day after its last day.
    entry.add("dtend", last.end + timedelta(days=1))
    entry.add("summary", event.title)
    entry.add("url", request.build_absolute_uri(event.get_absolute_url()))
    # A calendar cannot say "some day in November": the description does.
    description = " ".join(filter(None, [str(start) if start.precision != Precision.DAY else "", event.summary]))
    if description:
        entry.add("description", description)
    place = ", ".join(filter(None, [event.location, event.country.name if event.country else ""]))
    if place:
        entry.add("location", place)
    return entry


def render(events, request, name):
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT)
    calendar.add("calscale", "GREGORIAN")
    # icalendar takes an X- property's value as written; the name is text, to be escaped.
    calendar.add("x-wr-calname", icalendar.vText(name))
    # Whole seconds, in UTC: DTSTAMP:20250101T120000Z.
    stamp = timezone.now().replace(microsecond=0)
    for event in events:
        calendar.add_component(calendar_event(event, request, stamp))
    return calendar.to_ical()
