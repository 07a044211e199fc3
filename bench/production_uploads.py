"""Hostile and large uploads through the admin, over HTTP, to the site as production runs it.

    .venv/bin/python bench/production_uploads.py        # or: make bench-uploads

The script rebuilds the PostgreSQL database foreignpolicy_bench_uploads (127.0.0.1:5432,
user postgres), migrates it, collects the static files, loads the demo and creates a
superuser, all with the production settings. It then starts gunicorn as the README's
"Running in production" says (`gunicorn foreignpolicy.wsgi`, 2 workers, 30 s timeout, on
a free loopback port, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1) and one worker
(`manage.py run_huey`) with the same environment and a queue file of its own, and stops
both at the end, whatever happens.

As a staff member would, it logs into the admin (CSRF token and session cookie) and
uploads, through the agreements' import, every file of tests/hostile_files.py, one after
the other, following each to its job page until the job is over; then three of them at
the same time while it times the public home page; then a valid file of 138,000 rows
(some 19 MB), which it confirms; then it exports every agreement (a job: more than
10,000 rows) and downloads the export, reading the home page every 0.2 s meanwhile.
Production settings redirect HTTP to HTTPS, so each request says it came through an
HTTPS proxy (X-Forwarded-Proto: https).

For each file: the upload's status and time; how long until its page shows the outcome
(the page is read every 0.5 s, where a browser reloads it every 3 s); where it ran (the
request, or the worker); the message; and the largest resident memory (VmRSS, sampled
every 50 ms) of any gunicorn worker and of the Huey worker while it was handled. Any
response of 500 or more, any request without an answer, and any worker timeout in
gunicorn's log make the run fail. Every loop has a count and a deadline; the run takes
3 to 5 minutes and stops after 9. Prints Markdown tables for docs/performance.md.
"""

import argparse
import csv
import html
import io
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.admin_import import agreements_file  # noqa: E402
from tests import hostile_files  # noqa: E402

DATABASE = "foreignpolicy_bench_uploads"
SERVER = "host=127.0.0.1 port=5432 user=postgres"
BIN = Path(sys.executable).parent
IMPORT = "/admin/agreements/agreement/import/"
EXPORT = "/admin/agreements/agreement/export/"
HOME = "/en/"
ROWS = 138_000
# The three files that cost the reader most (docs/performance.md, "Hostile files"): the
# 154 MB sheet that once held a gunicorn worker for its whole timeout, and the two files of
# too many rows, read until the row limit.
TOGETHER = ["bomb-sheet.xlsx", "many-rows.xlsx", "many-rows.csv"]

RUN_SECONDS = 9 * 60
JOB_SECONDS = 240  # a job of 138,000 rows takes up to a minute here
REQUEST_SECONDS = 60  # gunicorn kills a worker after 30 s: an answer comes before this, or none
POLL_SECONDS = 0.5
SAMPLE_SECONDS = 0.05
HOME_REQUESTS = 3000
STARTED = time.monotonic()


class Failure(Exception):
    pass


def remaining(limit):
    left = RUN_SECONDS - (time.monotonic() - STARTED)
    if left <= 0:
        raise Failure(f"the run took more than {RUN_SECONDS} s")
    return min(limit, left)


# Processes


class Processes:
    """What the script starts, each in a session of its own, so that all of it is stopped."""

    def __init__(self, folder):
        self.folder = folder
        self.running = []

    def start(self, name, command, env):
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process, log))
        return process

    def stop(self):
        for _name, process, _log in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process, log in self.running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            log.close()
        self.running = []

    def log(self, name):
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def manage(env, folder, *args, extra=None):
    with (folder / "setup.log").open("ab") as log:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **(extra or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=remaining(180),
        )


def rebuilt_database():
    with psycopg.connect(f"{SERVER} dbname=postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
        return connection.info.parameter_status("server_version")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(parent):
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Memory(threading.Thread):
    """The largest VmRSS of any gunicorn worker, and of the Huey worker, since `window()`."""

    def __init__(self, gunicorn, huey):
        super().__init__(daemon=True)
        self.gunicorn, self.huey = gunicorn, huey
        self.workers, self.workers_seen = [], set()
        self.peaks = {"gunicorn": 0.0, "huey": 0.0}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self):
        listed_at = 0.0
        while not self.stopping.wait(SAMPLE_SECONDS):
            if time.monotonic() - listed_at > 0.5:
                self.workers = children(self.gunicorn.pid)
                self.workers_seen.update(self.workers)
                listed_at = time.monotonic()
            gunicorn = max((rss_mb(pid) for pid in self.workers), default=0.0)
            huey = rss_mb(self.huey.pid)
            with self.lock:
                self.peaks["gunicorn"] = max(self.peaks["gunicorn"], gunicorn)
                self.peaks["huey"] = max(self.peaks["huey"], huey)

    def window(self):
        """The peaks since the last call, and a new window from now."""
        with self.lock:
            peaks = dict(self.peaks)
            self.peaks = {
                "gunicorn": max((rss_mb(pid) for pid in self.workers), default=0.0),
                "huey": rss_mb(self.huey.pid),
            }
        return peaks


# HTTP


class Site:
    """An admin session over HTTP, with the cookies and the headers a browser behind an
    HTTPS proxy would send. Every response is recorded; none may be a server error."""

    def __init__(self, port):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies = {}
        self.lock = threading.Lock()
        self.statuses = []
        self.failures = []

    def request(self, method, path, body=None, headers=None, what=""):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=remaining(REQUEST_SECONDS))
        with self.lock:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "en",
            "User-Agent": "foreignpolicy-bench",
            **({"Cookie": cookie} if cookie else {}),
            **(headers or {}),
        }
        if method == "POST":
            sent.update(Origin=self.origin, Referer=self.origin + path)
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        except OSError as error:  # no answer: a worker killed in the middle, say
            with self.lock:
                self.failures.append(f"{method} {path} ({what}): no response ({error!r})")
            raise Failure(f"{method} {path} ({what}) got no response: {error!r}") from error
        finally:
            connection.close()
        seconds = time.perf_counter() - start
        with self.lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            self.statuses.append(response.status)
            if response.status >= 500:
                self.failures.append(f"{method} {path} ({what}): {response.status}")
        return response.status, response.headers, content, seconds

    def get(self, path, what=""):
        return self.request("GET", path, what=what)

    def post(self, path, fields, files=None, what=""):
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in {"csrfmiddlewaretoken": self.csrf(), **fields}.items()
        ]
        for name, (file_name, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, body=body, headers=headers, what=what)

    def csrf(self):
        with self.lock:
            return self.cookies.get("csrftoken", "")

    def log_in(self, username, password):
        self.get("/admin/login/?next=/admin/", what="login page")
        status, headers, _content, _seconds = self.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}, what="login"
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise Failure(f"logging into the admin failed (status {status})")

    def wait_until_up(self, gunicorn, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if gunicorn.poll() is not None:
                raise Failure("gunicorn stopped while starting")
            try:
                if self.get(HOME, what="start")[0] == 200:
                    return
            except Failure:
                self.failures.pop()  # not up yet
            time.sleep(0.2)
        raise Failure(f"gunicorn did not answer within {seconds} s")


def text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def outcome(page):
    """What a job's page says: its first problem, else its heading; and whether it reloads."""
    page = page.decode()
    waiting = '<meta http-equiv="refresh"' in page
    section = page[page.find('<div class="file-job">') :]
    problems = re.search(r'<table class="import-problems">.*?<tbody>\s*<tr>(.*?)</tr>', section, re.S)
    if problems:
        cells = re.findall(r"<td>(.*?)</td>", problems.group(1), re.S)
        return waiting, text(cells[-1])
    heading = re.search(r"<h2>(.*?)</h2>", section, re.S)
    return waiting, text(heading.group(1)) if heading else ""


def form_error(page):
    errors = re.search(r'<ul class="errorlist[^"]*">(.*?)</ul>', page.decode(), re.S)
    return text(errors.group(1)) if errors else "(no job, no error shown)"


def follow(site, status, headers, content, started, what):
    """Follow a redirect to a job's page until it stops reloading: (message, where it ran,
    seconds since `started`, the job's address)."""
    if status != 302:
        return form_error(content), "request", time.perf_counter() - started, None
    address = headers["Location"]
    first, message = True, ""
    deadline = time.monotonic() + remaining(JOB_SECONDS)
    while time.monotonic() < deadline:
        status, _headers, page, _seconds = site.get(address, what=what)
        waiting, message = outcome(page)
        if status != 200:
            return f"job page: {status}", "?", time.perf_counter() - started, address
        if not waiting:
            return message, "request" if first else "worker", time.perf_counter() - started, address
        first = False
        time.sleep(POLL_SECONDS)
    raise Failure(f"{what}: the job was not over after {JOB_SECONDS} s ({message})")


def upload(site, name, data):
    started = time.perf_counter()
    status, headers, content, seconds = site.post(IMPORT, {}, {"import_file": (name, data)}, what=name)
    message, where, until, address = follow(site, status, headers, content, started, name)
    return {"status": status, "seconds": seconds, "until": until, "where": where, "message": message, "job": address}


def valid_file():
    """agreements_file's 138,000 rows, without its title_es and summary_en columns: 19 MB,
    under the 20 MB upload limit."""
    rows = csv.reader(io.StringIO(agreements_file(ROWS, "v1").decode()))
    header = next(rows)
    keep = [n for n, column in enumerate(header) if column not in ("title_es", "summary_en")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header[n] for n in keep])
    writer.writerows([row[n] for n in keep] for row in rows)
    return buffer.getvalue().encode()


# Figures


def size(count):
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{max(count / 1e3, 1):.0f} KB"


def row(name, what, length, result, peaks):
    message = result["message"].replace("|", "\\|")
    message = message if len(message) <= 100 else message[:99] + "…"
    return (
        f"| {name} | {what} | {size(length)} | {result['status']} in {result['seconds']:.2f} s | "
        f"{result['until']:.1f} s | {result['where']} | {message} | {peaks['gunicorn']:.0f} MB | "
        f"{peaks['huey']:.0f} MB |"
    )


HEADER = (
    "| file | what it is | size | upload | page shows the outcome after | ran in | what the page says "
    "(first 100 characters) | gunicorn worker, peak RSS | Huey worker, peak RSS |\n"
    "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |"
)


def home_latencies(site, count, until=None, what="home page"):
    seconds = []
    deadline = time.monotonic() + remaining(180)
    for _ in range(count):
        if (until is not None and until()) or time.monotonic() > deadline:
            break
        status, _headers, _content, took = site.get(HOME, what=what)
        if status != 200:
            raise Failure(f"the home page answered {status}")
        seconds.append(took)
    return seconds


def load():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def latency(seconds):
    if not seconds:
        return "no requests"
    return (
        f"{len(seconds)} requests: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"worst {max(seconds) * 1000:.0f} ms"
    )


class HomeReader(threading.Thread):
    """Reads the home page every 0.2 s, at most HOME_REQUESTS times, until stopped."""

    def __init__(self, site):
        super().__init__(daemon=True)
        self.site = site
        self.seconds = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.2) and len(self.seconds) < HOME_REQUESTS:
            try:
                status, _headers, _content, took = self.site.get(HOME, what="home page during the import")
            except Failure:
                return  # recorded by the site
            if status == 200:
                self.seconds.append(took)


def together(site, memory, files):
    """Upload `files` at once, each from a thread of its own, and time the home page meanwhile."""
    results, errors = {}, []

    def send(name, data):
        try:
            results[name] = upload(site, name, data)
        except Exception as error:  # reported below, with the others
            errors.append(f"{name}: {error}")

    made = {name: make() for name, make, _what in hostile_files.FILES if name in files}
    if set(files) - set(made):
        raise Failure(f"no such hostile file: {', '.join(sorted(set(files) - set(made)))}")
    memory.window()
    threads = [threading.Thread(target=send, args=(name, made[name]), daemon=True) for name in files]
    for thread in threads:
        thread.start()
    seconds = home_latencies(site, HOME_REQUESTS, until=lambda: not any(t.is_alive() for t in threads))
    for thread in threads:
        thread.join(remaining(JOB_SECONDS))
    if errors or len(results) < len(files):
        raise Failure("uploads at the same time: " + "; ".join(errors or ["an upload did not finish"]))
    return results, seconds, memory.window(), {name: len(made[name]) for name in files}


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--together", default=",".join(TOGETHER), help="the files uploaded at the same time")
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs' folder even when all goes well")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fp-bench-uploads-"))
    password = secrets.token_urlsafe(16)
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("DEBUG", "HUEY_REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "foreignpolicy.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HUEY_SQLITE_PATH": str(folder / "huey.sqlite3"),
        # It measures uploads: the bench account logs in by password alone (the second step is
        # tested in tests/foreignpolicy/test_two_step.py and test_scale_out.py).
        "OTP_REQUIRED": "false",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    processes = Processes(folder)
    # A SIGTERM (from make, or a CI timeout) ends the run through the `finally` below.
    signal.signal(signal.SIGTERM, interrupted)
    site = None
    ok = False
    try:
        server_version = rebuilt_database()
        manage(env, folder, "migrate", "--no-input")
        manage(env, folder, "collectstatic", "--no-input")
        manage(env, folder, "load_demo")
        manage(
            env,
            folder,
            "createsuperuser",
            "--no-input",
            "--username",
            "bench",
            "--email",
            "bench@example.invalid",
            extra={"DJANGO_SUPERUSER_PASSWORD": password},
        )
        port = free_port()
        gunicorn = processes.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "foreignpolicy.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "30",
            ],
            env,
        )
        huey = processes.start("huey", [sys.executable, "manage.py", "run_huey"], env)
        site = Site(port)
        site.wait_until_up(gunicorn)
        memory = Memory(gunicorn, huey)
        memory.start()
        site.log_in("bench", password)
        idle = home_latencies(site, 50)
        resting = memory.window()
        print(
            f"PostgreSQL {server_version}, Python {platform.python_version()}, {os.cpu_count()} cores; "
            f"gunicorn --workers 2 --timeout 30, one run_huey (HUEY_WORKERS={env.get('HUEY_WORKERS', '2')}); "
            f"production settings; load average {load()} at the start\n"
        )
        print(
            f"At rest: gunicorn workers {resting['gunicorn']:.0f} MB, Huey worker {resting['huey']:.0f} MB; "
            f"home page {latency(idle)}.\n",
            flush=True,
        )

        print(HEADER, flush=True)
        for name, make, what in hostile_files.FILES:
            data = make()
            memory.window()
            result = upload(site, name, data)
            print(row(name, what, len(data), result, memory.window()), flush=True)

        names = [name.strip() for name in options.together.split(",") if name.strip()]
        results, seconds, peaks, sizes = together(site, memory, names)
        print(f"\n{len(names)} files at the same time, while the home page is read, one request after another:\n")
        print(HEADER)
        for name in names:
            print(row(name, "at the same time as the others", sizes[name], results[name], peaks))
        print(f"\nHome page meanwhile: {latency(seconds)} (at rest: worst {max(idle) * 1000:.0f} ms).\n")

        print(f"{ROWS:,} valid rows, imported, then every agreement exported:\n")
        print(HEADER, flush=True)
        data = valid_file()
        reader = HomeReader(site)
        reader.start()
        memory.window()
        preview = upload(site, "agreements.csv", data)
        print(row("agreements.csv", f"{ROWS:,} valid rows: preview", len(data), preview, memory.window()), flush=True)
        if not preview["message"].startswith(f"Preview: {ROWS} created"):
            raise Failure(f"the preview of {ROWS} rows says: {preview['message']}")
        started = time.perf_counter()
        status, headers, content, took = site.post(preview["job"] + "confirm/", {}, what="confirm")
        message, where, until, _address = follow(site, status, headers, content, started, "confirm")
        confirm = {"status": status, "seconds": took, "until": until, "where": where, "message": message}
        print(row("agreements.csv", "the same: confirm", len(data), confirm, memory.window()), flush=True)
        if "imported" not in message:
            raise Failure(f"the import of {ROWS} rows says: {message}")

        started = time.perf_counter()
        status, headers, content, took = site.post(EXPORT, {"format": "0", "resource": "0"}, what="export")
        message, where, until, address = follow(site, status, headers, content, started, "export")
        export = {"status": status, "seconds": took, "until": until, "where": where, "message": message}
        status, _headers, file, took = site.get(address + "download/", what="download")
        peaks = memory.window()
        print(row("(export)", "every agreement, CSV", len(file), export, peaks))
        download = {"status": status, "seconds": took, "until": took, "where": "request", "message": ""}
        lines = file.count(b"\n")
        download["message"] = f"{lines - 1:,} rows" if status == 200 else f"download: {status}"
        print(row("(download)", "the export's file", len(file), download, peaks))
        reader.stopping.set()
        reader.join(remaining(REQUEST_SECONDS))
        print(f"\nHome page meanwhile, one request every 0.2 s: {latency(reader.seconds)}.")

        timeouts = processes.log("gunicorn").count("WORKER TIMEOUT")
        restarted = len(memory.workers_seen) - 2
        print(
            f"\n{len(site.statuses)} responses, of which {sum(s >= 500 for s in site.statuses)} of 500 or more; "
            f"gunicorn worker timeouts: {timeouts}; gunicorn workers started after the first two: {restarted}; "
            f"run of {time.monotonic() - STARTED:.0f} s; load average {load()} at the end."
        )
        if timeouts:
            site.failures.append(f"gunicorn killed {timeouts} worker(s) after 30 s (WORKER TIMEOUT in its log)")
        ok = not site.failures
    except Failure as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        processes.stop()
    for failure in site.failures if site else []:
        print(f"FAILED: {failure}", file=sys.stderr)
    if not ok:
        for name in ("setup", "gunicorn", "huey"):
            tail = processes.log(name)[-3000:]
            if tail:
                print(f"\n--- end of {folder / name}.log ---\n{tail}", file=sys.stderr)
        sys.exit(1)
    print("No response of 500 or more.")
    if not options.keep_logs:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
