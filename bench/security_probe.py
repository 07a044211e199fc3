"""The security review's table, measured again: one row per check of issue 10.

    .venv/bin/python bench/security_probe.py        # or: make security-probe

Rebuilds the PostgreSQL database foreignpolicy_security_probe (127.0.0.1:5432, user
postgres), migrates it, loads the demo and adds two events whose titles are hostile (an
`<img onerror>` and a bare carriage return followed by an iCalendar property), as a record
written by any path other than the import would hold them. Then starts one gunicorn with the
production settings (bench/cluster.py; the cache in Redis database 9, emptied first) and,
as a reader or an attacker would from outside, with `X-Forwarded-Proto: https` on every
request as the TLS proxy sends it:

- reads the Content-Security-Policy and Permissions-Policy of the public pages and the admin;
- posts 30 wrong passwords for one user, then the right one, and tells where it lands;
- runs `check --deploy` under the production settings;
- sends 400 public requests whose query strings are drawn (seeded, so the run repeats)
  from every filter and parameter with hostile values, and counts the answers >= 500;
- reads the Atom feed and the calendar and says whether the hostile titles stay text;
- dry-runs the import of the review's three tags that got past the old HTML check;
- backs up, restores into a second, empty database and compares every export byte for byte,
  after adding a topic and an organisation as staff would;
- runs `make audit`.

Prints a Markdown table for docs/security.md. Some 3 minutes. The database restart is
measured by bench/db_restart.py (make bench-db-restart), which needs a cluster of its own.
"""

import csv
import hashlib
import http.client
import io
import json
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cluster  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foreignpolicy_security_probe"
RESTORED_URL = "postgres://postgres@127.0.0.1:5432/foreignpolicy_security_probe_restored"
QUEUE_URL = "redis://127.0.0.1:6379/9"
CACHE_URL = "redis://127.0.0.1:6379/10"
USERNAME = "probe"
WRONG_PASSWORDS = 30
FUZZED_REQUESTS = 400
SEED = 10

HOSTILE_TITLES = {
    "img": '<img/src="x"/onerror=alert(2)>',
    "cr": "Bad\rX-INJECTED-CR:1",
}
ADD_HOSTILE_EVENTS = """
import datetime, json, os
from events.models import Event, EventType
titles = json.loads(os.environ["PROBE_TITLES"])
kind = EventType.objects.first()
for number, title in enumerate(titles.values()):
    Event.objects.create(
        slug=f"probe-{number}", title_en=title, title_es=title, summary_en=title, summary_es=title,
        date=datetime.date.today() + datetime.timedelta(days=30 + number), type=kind, is_published=True,
    )
"""
ADD_VOCABULARY = """
from foreignpolicy.models import Organisation, Topic
Topic.objects.create(slug="probe-fisheries", name_en="Fisheries", name_es="Pesca")
Organisation.objects.create(slug="probe-pacific-forum", name_en="Pacific Forum", name_es="Foro del Pacífico")
"""
ADD_USER = """
import os
from django.contrib.auth.models import User
User.objects.create_user(os.environ["PROBE_USER"], password=os.environ["PROBE_PASSWORD"], is_staff=True)
"""

PUBLIC_PAGES = [
    "/en/",
    "/es/",
    "/en/agreements/",
    "/es/acuerdos/",
    "/en/agreements/in-force/",
    "/en/events/",
    "/en/events/feed.atom",
    "/en/events/upcoming.ics",
    "/en/directorates/",
    "/en/search/?q=trade",
    "/en/topics/",
]
# Every parameter a public address reads, by address; the fuzz draws keys and values from these.
PARAMETERS = {
    "/en/agreements/": ["q", "status", "type", "party", "topic", "directorate", "signed_from", "signed_to", "page"],
    "/en/agreements/download.csv": ["q", "status", "type", "party", "topic", "signed_from", "signed_to"],
    "/en/agreements/download.json": ["status", "party", "signed_from"],
    "/en/agreements/in-force/": ["on", "page", "party"],
    "/en/events/": ["year", "month", "type", "country", "agreement", "topic", "directorate", "page", "q"],
    "/en/events/download.csv": ["year", "type", "country"],
    "/en/events/feed.atom": ["type", "country", "topic", "year"],
    "/en/events/upcoming.ics": ["type", "country", "topic"],
    "/en/directorates/": ["q", "page"],
    "/en/directorates/download.csv": ["q"],
    "/en/search/": ["q", "page"],
    "/en/topics/": ["page"],
    "/sitemap-agreements.xml": ["p"],
}
HOSTILE_VALUES = [
    "0", "-1", "10000", "99999999999999999999", "1e9", "2020-02-30", "0000-01-01", "9999-12-31",
    "", " ", "%00", "\x00", "ñ", "🙂", "x" * 3000, "' OR 1=1 --", "<script>", "../../etc/passwd",
    "in_force", "CL", "trade", "2020", "13", "2020-06", "null", "[]", "{}", "1.5", "NaN", "+1",
]  # fmt: skip


class Client:
    """Plain HTTP to the app server, as through the TLS proxy, keeping cookies."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "User-Agent": "foreignpolicy-probe"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = "https://127.0.0.1/admin/login/"
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path):
        return self.request("GET", path)


def policy_row(client):
    pages = [*PUBLIC_PAGES, "/admin/login/"]
    with_policy = inline = with_permissions = 0
    for path in pages:
        response, _ = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        with_policy += bool(policy)
        inline += "unsafe-inline" in policy
        with_permissions += bool(response.headers.get("Permissions-Policy"))
    return (
        "Content-Security-Policy",
        f"{with_policy} of {len(pages)} pages (public and admin login) carry it, {inline} allow 'unsafe-inline'; "
        f"Permissions-Policy on {with_permissions}",
    )


def log_in(client, password):
    client.get("/admin/login/?next=/admin/")
    response, content = client.request(
        "POST",
        "/admin/login/?next=/admin/",
        body={
            "username": USERNAME,
            "password": password,
            "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
            "next": "/admin/",
        },
    )
    return response, content


def login_rows(port, password):
    statuses = {}
    started = time.monotonic()
    for _ in range(WRONG_PASSWORDS):
        response, _ = log_in(Client(port), "wrong " + secrets.token_hex(4))
        statuses[response.status] = statuses.get(response.status, 0) + 1
    seconds = time.monotonic() - started
    client = Client(port)
    response, content = log_in(client, password)
    after = f"the right password then answers {response.status}"
    if response.status == 302:
        landing, _ = client.get(response.headers["Location"])
        after += f", leading to {response.headers['Location']} ({landing.status})"
    elif b"locked" in content.lower() or b"bloquead" in content.lower():
        after += " with the lockout page"
    counts = ", ".join(f"{count}× {status}" for status, count in sorted(statuses.items()))
    rows = [(f"{WRONG_PASSWORDS} wrong admin passwords", f"{counts} in {seconds:.0f} s; {after}")]

    subprocess.run(
        [sys.executable, "manage.py", "axes_reset_username", USERNAME], cwd=ROOT, env=ENV, capture_output=True
    )
    client = Client(port)
    response, _ = log_in(client, password)
    landing = response.headers.get("Location", "")
    page, content = client.get("/admin/")
    # The admin's own pages hold the logout form only for a user it has let in.
    let_in = page.status == 200 and b'id="logout-form"' in content
    rows.append(
        (
            "staff second factor",
            f"the right password (lockout reset) leads to {landing or 'the login page again'}; /admin/ then answers "
            f"{page.status}"
            + (f" to {page.headers.get('Location')}" if page.status in (301, 302) else "")
            + ("; the admin is open with the password alone" if let_in else "; the admin is not open yet"),
        )
    )
    return rows


def deploy_check_row():
    # As deployed: behind the TLS proxy, redirecting plain HTTP (the probe's server does not).
    env = {key: value for key, value in ENV.items() if key != "SECURE_SSL_REDIRECT"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    found = re.search(r"System check identified (.*)\.", done.stdout + done.stderr)
    codes = sorted(set(re.findall(r"\((\w+\.\w+)\)", done.stderr)))
    return (
        "`check --deploy`",
        (found.group(1) if found else done.stdout.strip()) + (f": {', '.join(codes)}" if codes else ""),
    )


def fuzzed_requests(count):
    generator = random.Random(SEED)
    for _ in range(count):
        path, keys = generator.choice(list(PARAMETERS.items()))
        query = [
            (generator.choice([*keys, "unknown"]), generator.choice(HOSTILE_VALUES))
            for _ in range(generator.randint(1, 3))
        ]
        yield f"{path}?{urllib.parse.urlencode(query)}"


def fuzz_row(client):
    """Server errors, counting a download cut off mid-way (its error came after its headers)."""
    server_errors = []
    statuses = {}
    for path in fuzzed_requests(FUZZED_REQUESTS):
        try:
            response, _ = client.get(path)
            status = response.status
        except http.client.HTTPException:
            status = "cut off"
        statuses[status] = statuses.get(status, 0) + 1
        if status == "cut off" or status >= 500:
            server_errors.append(path)
    counts = ", ".join(f"{count}× {status}" for status, count in sorted(statuses.items(), key=str))
    example = f"; e.g. {server_errors[0][:80]}" if server_errors else ""
    return ("fuzzed public query strings", f"{len(server_errors)} of {FUZZED_REQUESTS} were 5xx ({counts}){example}")


def feed_rows(client):
    from defusedxml import ElementTree

    _, body = client.get("/en/events/feed.atom")
    atom = "{http://www.w3.org/2005/Atom}"
    summaries = [
        entry.find(f"{atom}summary")
        for entry in ElementTree.fromstring(body).iter(f"{atom}entry")
        if entry.findtext(f"{atom}title") == HOSTILE_TITLES["img"]
    ]
    if summaries and summaries[0] is not None:
        summary = summaries[0]
        atom_row = (
            f'the hostile title\'s summary is type="{summary.get("type", "text")}", read back as {summary.text!r}'
        )
    else:
        atom_row = "the hostile event is not in the feed"

    _, body = client.get("/en/events/upcoming.ics")
    lines = re.split(rb"\r\n", body)
    injected = [line for line in re.split(rb"\r\n|\r|\n", body) if line.startswith(b"X-INJECTED")]
    longest = max(len(line) for line in lines)
    bare_returns = body.replace(b"\r\n", b"").count(b"\r")
    ical_row = (
        f"{len(injected)} injected propert{'y' if len(injected) == 1 else 'ies'}; "
        f"bare CRs outside CRLF: {bare_returns}; longest line {longest} octets"
    )
    return [("Atom feed", atom_row), ("iCal", ical_row)]


HTML_PAYLOADS = ["<svg/onload=alert(1)>", '<img/src="x"/onerror=alert(2)>', "<details/open/ontoggle=alert(3)>"]


def html_check_row():
    with tempfile.TemporaryDirectory() as folder:
        exported = subprocess.run(
            [sys.executable, "manage.py", "export_csv", "events"], cwd=ROOT, env=ENV, capture_output=True, text=True
        ).stdout
        reader = csv.reader(io.StringIO(exported.lstrip("\ufeff")))
        columns, values = next(reader), next(reader)
        rows = []
        for number, payload in enumerate(HTML_PAYLOADS):
            row = dict(zip(columns, values, strict=True))
            row.update(slug=f"probe-html-{number}", title_en=payload, title_es=payload)
            rows.append(row)
        path = Path(folder) / "hostile.csv"
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, columns)
            writer.writeheader()
            writer.writerows(rows)
        code, output = manage_output("import_csv", "events", str(path), "--dry-run", "--language", "en")
    # Each row holds its tag in both title columns: a row is refused when either is named.
    refused_rows = set(re.findall(r"Row (\d+), column “title_(?:en|es)”: The text holds HTML", output))
    return (
        "plain-text HTML check",
        f"{len(refused_rows)} of {len(HTML_PAYLOADS)} rows refused, naming row and column, for the tags "
        f"`<svg/onload>`, `<img/src/onerror>`, `<details/open/ontoggle>` in titles; dry run exit {code}",
    )


def manage_output(*args, env=None):
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env or ENV, capture_output=True, text=True, timeout=600
    )
    return done.returncode, done.stdout + done.stderr


def export_digests(env):
    digests = {}
    for kind in ("directorates", "agreements", "events"):
        code, output = manage_output("export_csv", kind, env=env)
        if code:
            raise cluster.Failure(f"export_csv {kind} failed: {output[-500:]}")
        digests[kind] = hashlib.sha256(output.encode()).hexdigest()
    return digests


def backup_row():
    manage_output("shell", "-c", ADD_VOCABULARY)
    restored_env = {**ENV, "DATABASE_URL": RESTORED_URL}
    cluster.create_database(RESTORED_URL, rebuild=True)
    with tempfile.TemporaryDirectory() as folder:
        archive = str(Path(folder) / "backup.zip")
        code, output = manage_output("backup", archive)
        if code:
            return ("backup and restore", f"backup failed: {' '.join(output.split())[-200:]}")
        manage_output("migrate", "--no-input", env=restored_env)
        code, output = manage_output("restore", archive, env=restored_env)
        if code:
            return ("backup and restore", f"restore failed: {' '.join(output.split())[-300:]}")
        size = Path(archive).stat().st_size
    before, after = export_digests(ENV), export_digests(restored_env)
    same = [kind for kind in before if before[kind] == after[kind]]
    return (
        "backup and restore",
        f"`backup` ({size / 1024:.0f} kB zip) then `restore` into an empty database, a staff-added topic and "
        f"organisation included: {len(same)} of {len(before)} exports byte-identical",
    )


def audit_row():
    done = subprocess.run(["make", "audit"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    last = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    reason = next(
        (line for line in last if "could not be audited" in line or "Found" in line or "No known" in line), ""
    )
    return (
        "dependency audit",
        f"`make audit` exit {done.returncode}: {reason.strip()[:160] or (last[-1] if last else '')}",
    )


ENV = {}


def main():
    secret_key = secrets.token_urlsafe(50)
    ENV.update(
        cluster.environment(database_url=DATABASE_URL, queue_url=QUEUE_URL, cache_url=CACHE_URL, secret_key=secret_key)
    )
    password = secrets.token_urlsafe(16)
    cluster.create_database(DATABASE_URL, rebuild=True)
    cluster.redis_answers(CACHE_URL, flush=True)
    cluster.redis_answers(QUEUE_URL, flush=True)
    with tempfile.TemporaryDirectory() as folder:
        servers = cluster.Cluster(ENV, ports=[cluster.free_port()], folder=folder)
        servers.prepare()
        servers.manage("shell", "-c", ADD_HOSTILE_EVENTS, extra={"PROBE_TITLES": json.dumps(HOSTILE_TITLES)})
        servers.manage("shell", "-c", ADD_USER, extra={"PROBE_USER": USERNAME, "PROBE_PASSWORD": password})
        with servers:
            servers.up(worker=False)
            port = servers.ports[0]
            client = Client(port)
            rows = [policy_row(client)]
            rows += login_rows(port, password)
            rows.append(deploy_check_row())
            rows.append(fuzz_row(client))
            rows += feed_rows(client)
        rows.append(html_check_row())
        rows.append(backup_row())
        rows.append(audit_row())
    print("| check | found |\n|---|---|")
    for check, found in rows:
        escaped = found.replace("|", "\\|")
        print(f"| {check} | {escaped} |")


if __name__ == "__main__":
    try:
        main()
    except cluster.Failure as failure:
        sys.exit(f"security_probe: {failure}")
