"""How long the public pages take with 300,000 agreements and 60,000 events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_pages .venv/bin/python bench/public_pages.py

(or `make bench-pages`). The database named there is emptied and rebuilt: migrated, then
filled in bulk by SQL (`generate_series`), in some 30 s. Each page is requested through
Django's test client; the table gives the median of 5 requests, the number of queries
of one request and the size of its HTML. A page whose first request takes longer than
`--slow` seconds is timed once (the table says so), and no query may run longer than
`--timeout` seconds, to keep the run bounded.
It prints a Markdown table for docs/performance.md.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreignpolicy.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.test import Client  # noqa: E402

PAGES = [
    ("home", "/en/"),
    ("agreements", "/en/agreements/"),
    ("agreements, page 100", "/en/agreements/?page=100"),
    ("agreements with Chile", "/en/agreements/?party=CL"),
    ("agreements in force", "/en/agreements/in-force/?on=2015-06-01"),
    ("agreements in force, page 100", "/en/agreements/in-force/?on=2015-06-01&page=100"),
    ("timeline 2020", "/en/events/?year=2020"),
    ("timeline 2020, page 20", "/en/events/?year=2020&page=20"),
    ("timeline 2020 with Chile", "/en/events/?year=2020&party=CL"),
    ("timeline of one agreement", "/en/events/?agreement=agreement-1234"),
    ("sitemap", "/sitemap.xml"),
    ("sitemap: agreements, page 10", "/sitemap-agreements.xml?p=10"),
]

AGREEMENTS_SQL = """
INSERT INTO agreements_agreement (slug, is_published, created_at, updated_at, search_text, title_en, title_es,
    short_title, type_id, status_id, directorate_id, signed_on, signed_on_precision, in_force_on,
    in_force_on_precision, ended_on, ended_on_precision, summary_en, summary_es, source_url, depositary_en,
    depositary_es, unts_number, archive_code, step_references)
SELECT 'agreement-' || i, i % 20 <> 0, now(), now(),
    'agreement ' || i || ' acuerdo ' || i || ' on trade and cooperation comercio y cooperacion',
    'Agreement ' || i || ' on trade and cooperation', 'Acuerdo ' || i || ' de comercio y cooperación',
    'A-' || i, (SELECT array_agg(id ORDER BY id) FROM agreements_agreementtype)[1 + i % 5],
    CASE WHEN signed IS NULL THEN 'under_negotiation' WHEN ended IS NOT NULL THEN 'terminated'
         WHEN in_force IS NULL THEN 'signed' ELSE 'in_force' END,
    NULL, signed, 'day', in_force, 'day', ended, 'day',
    repeat('Summary of agreement ' || i || ' on trade and cooperation. ', 8),
    repeat('Resumen del acuerdo ' || i || ' de comercio y cooperación. ', 8), 'https://example.org/' || i,
    '', '', '', '', ''
FROM (
    SELECT i, signed, CASE WHEN i % 10 < 7 THEN signed + (i % 700) END AS in_force,
        CASE WHEN i % 10 < 7 AND i % 7 = 0 THEN signed + 700 + (i % 3000) END AS ended
    FROM (SELECT i,
              CASE WHEN i % 25 = 0 THEN NULL ELSE date '1950-01-01' + (i::bigint * 7919 % 27000)::int END AS signed
          FROM generate_series(1, {agreements}) AS i) AS dated
) AS rows
"""

EVENTS_SQL = """
INSERT INTO events_event (slug, is_published, created_at, updated_at, search_text, title_en, title_es, date,
    date_precision, end_date, end_date_precision, type_id, location, country_id, summary_en, summary_es, source_url)
SELECT 'event-' || i, i % 20 <> 0, now(), now(), 'meeting ' || i || ' reunion ' || i || ' lima',
    'Meeting ' || i || ' in Lima', 'Reunión ' || i || ' en Lima',
    date '1990-01-01' + (i::bigint * 7919 % 13149)::int, 'day',
    NULL, 'day', (SELECT array_agg(id ORDER BY id) FROM events_eventtype)[1 + i % 6], 'Lima', 'PE',
    repeat('Summary of meeting ' || i || '. ', 8), repeat('Resumen de la reunión ' || i || '. ', 8), ''
FROM generate_series(1, {events}) AS i
"""

RELATIONS_SQL = [
    # One or two countries each, an organisation for a third, one topic each.
    """INSERT INTO agreements_agreement_countries (agreement_id, country_id)
       SELECT a.id, c.codes[1 + (a.id + k * (1 + a.id % 5)) % array_length(c.codes, 1)]
       FROM agreements_agreement a, (SELECT array_agg(code ORDER BY code) AS codes FROM foreignpolicy_country) c,
            (VALUES (0), (1)) AS ks(k) WHERE k = 0 OR a.id % 2 = 0""",
    """INSERT INTO agreements_agreement_organisations (agreement_id, organisation_id)
       SELECT a.id, o.ids[1 + a.id % array_length(o.ids, 1)]
       FROM agreements_agreement a, (SELECT array_agg(id ORDER BY id) AS ids FROM foreignpolicy_organisation) o
       WHERE a.id % 3 = 0""",
    """INSERT INTO agreements_agreement_topics (agreement_id, topic_id)
       SELECT a.id, t.ids[1 + a.id % array_length(t.ids, 1)]
       FROM agreements_agreement a, (SELECT array_agg(id ORDER BY id) AS ids FROM foreignpolicy_topic) t""",
    """INSERT INTO events_event_countries (event_id, country_id)
       SELECT e.id, c.codes[1 + (e.id * 13) % array_length(c.codes, 1)]
       FROM events_event e, (SELECT array_agg(code ORDER BY code) AS codes FROM foreignpolicy_country) c""",
    """INSERT INTO events_event_agreements (event_id, agreement_id)
       SELECT e.id, 1 + (e.id * 31) % {agreements} FROM events_event e WHERE e.id % 4 = 0""",
    # The agreement of the "one agreement" page has a few events.
    """INSERT INTO events_event_agreements (event_id, agreement_id)
       SELECT e.id, (SELECT id FROM agreements_agreement WHERE slug = 'agreement-1234')
       FROM events_event e WHERE e.id % 997 = 1""",
]


def rebuild(agreements, events):
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    sizes = {"agreements": agreements, "events": events}
    with connection.cursor() as cursor:
        for sql in [AGREEMENTS_SQL, EVENTS_SQL, *RELATIONS_SQL]:
            cursor.execute(sql.format_map(sizes))
        cursor.execute("ANALYZE")


class TimedOut(Exception):
    pass


class QueryCounter:
    """Counts the statements run (the debug log holds at most 9,000, and is cut short)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(client, address, repeat, slow):
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        start = time.perf_counter()
        try:
            response = client.get(address)
        except OperationalError as error:  # statement_timeout
            raise TimedOut from error
        first = time.perf_counter() - start
    assert response.status_code == 200, (address, response.status_code)
    size = len(response.content)
    times = [first]
    if first <= slow:
        for _ in range(repeat - 1):
            start = time.perf_counter()
            client.get(address)
            times.append(time.perf_counter() - start)
    return statistics.median(times), len(times), queries.count, size


def size_text(size):
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} KB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=300_000)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", type=float, default=10.0, help="time a page once if its first request is slower")
    parser.add_argument("--timeout", type=int, default=60, help="seconds one query may run (statement_timeout)")
    parser.add_argument("--keep", action="store_true", help="use the database as it is, without rebuilding it")
    options = parser.parse_args()
    start = time.perf_counter()
    if not options.keep:
        rebuild(options.agreements, options.events)
    built = time.perf_counter() - start
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(
        f"{options.agreements} agreements, {options.events} events (95% published); built in {built:.0f} s; "
        f"PostgreSQL {server}, Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    print()
    print("| page | address | time (median) | requests | queries | HTML |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    # So that no page can hold the run for ever, on every connection the pages open.
    connection.close()
    connection.settings_dict["OPTIONS"]["options"] = f"-c statement_timeout={options.timeout * 1000}"
    # The pages' own cost, each request built anew: the page cache would answer every
    # request after the first from its copy (bench/throughput.py measures that).
    settings.PAGE_CACHE_SECONDS = 0
    client = Client(HTTP_HOST="127.0.0.1")
    for label, address in PAGES:
        try:
            seconds, count, queries, size = measure(client, address, options.repeat, options.slow)
        except AssertionError as error:
            print(f"| {label} | `{address}` | answers {error.args[0][1]} | | | |", flush=True)
            continue
        except TimedOut:
            print(f"| {label} | `{address}` | a query ran over {options.timeout} s | 1 | | |", flush=True)
            continue
        print(
            f"| {label} | `{address}` | {seconds:.2f} s | {count} | {queries} | {size_text(size)} |",
            flush=True,
        )
    print()
    print(f"Whole run: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
