"""iCalendar (RFC 5545) for upcoming events: all-day entries at the precision they are known."""

from datetime import timedelta

from django.utils import timezone

LINE_LIMIT = 75


def escape(text):
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line):
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_LIMIT:
        return line
    parts, current = [], ""
    for character in line:
        limit = LINE_LIMIT if not parts else LINE_LIMIT - 1
        if len((current + character).encode("utf-8")) > limit:
            parts.append(current)
            current = character
        else:
            current += character
    parts.append(current)
    return "\r\n ".join(parts)


def event_lines(event, request, stamp):
    start = event.when
    last = event.until or start
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.slug}@{request.get_host()}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{start.start:%Y%m%d}",
        # DTEND of an all-day event is the day after its last day.
        f"DTEND;VALUE=DATE:{last.end + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(event.title)}",
        f"URL:{request.build_absolute_uri(event.get_absolute_url())}",
    ]
    description = " ".join(filter(None, [str(start) if start.precision != "day" else "", event.summary]))
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    place = ", ".join(filter(None, [event.location, event.country.name if event.country else ""]))
    if place:
        lines.append(f"LOCATION:{escape(place)}")
    lines.append("END:VEVENT")
    return lines


def render(events, request, name):
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//foreignpolicy//events//ES",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events.select_related("country"):
        lines.extend(event_lines(event, request, stamp))
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
