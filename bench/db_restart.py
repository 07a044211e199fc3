"""Readers across a PostgreSQL restart: the status of every answer while the database
restarts, and then stops for a few seconds, under a steady load.

    .venv/bin/python bench/db_restart.py        # or: make bench-db-restart

The script makes a PostgreSQL 15 cluster of its own: `initdb` in a temporary folder, the
server on a free loopback port, run as the user postgres when the script runs as root.
It never touches the machine's main cluster. In it, the script creates a database,
migrates it and loads the demo, all with the production settings, and collects the static
files. Then it starts gunicorn as bench/cluster.py does (`gunicorn foreignpolicy.wsgi
--workers 2 --timeout 30`), with the page cache in Redis database 13, emptied first.
PAGE_CACHE_SECONDS is 2 (--fresh-seconds), so that pages keep being made again from the
database under the load, and so that no page is still fresh 2 s into an outage. A reader
answered after that was served a page's last good copy.

It reads every address of ADDRESSES once (each must answer 200), then loads them:
--connections readers (threads), each asking for the next address as soon as it has its
answer, for --seconds. Meanwhile, after --restart-at seconds, `pg_ctl restart -m fast`;
after --stop-at seconds, `pg_ctl stop -m fast`, --pause seconds, `pg_ctl start`. A probe
connects to the database every 50 ms, which gives each outage as a client sees it. No
address is new after the warm-up: a page never cached would answer the 503 page, and
this bench measures what the readers of cached pages get.

Prints a Markdown table for docs/performance.md ("Riding out a database restart"):
requests, 2xx, 503, other answers of 500 or more, and requests left without an answer,
over the whole run and within each outage. Any answer of 500 or more, or without an
answer, fails the run. gunicorn and the cluster are stopped, and the cluster's folder
deleted, at the end, whatever happens. The run takes about 2 minutes.
"""

import argparse
import http.client
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cluster  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "foreignpolicy_db_restart"
QUEUE_URL = "redis://127.0.0.1:6379/12"  # unused: no worker runs, but the settings need one
CACHE_URL = "redis://127.0.0.1:6379/13"
PROBE_SECONDS = 0.05
REQUEST_SECONDS = 10

# Public pages of the demo, in both languages, and what crawlers read.
ADDRESSES = [
    "/es/",
    "/en/",
    "/es/acuerdos/",
    "/en/agreements/",
    "/en/agreements/?party=CL",
    "/es/acuerdos/vigentes/",
    "/en/agreements/andean-community/",
    "/es/eventos/",
    "/en/events/",
    "/en/events/ipcc-63-lima/",
    "/en/events/feed.atom",
    "/en/events/upcoming.ics",
    "/es/direcciones/",
    "/en/directorates/dg-multilateral-global-affairs/",
    "/es/temas/",
    "/en/topics/trade/",
    "/en/search/?q=trade",
    "/es/buscar/?q=comercio",
    "/sitemap.xml",
    "/robots.txt",
]


def clock():
    return time.monotonic()


class Postgres:
    """A PostgreSQL cluster of the script's own, in a temporary folder, on a free loopback port."""

    def __init__(self, pg_bin):
        self.folder = Path(tempfile.mkdtemp(prefix="fp-bench-postgresql-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgresql.log"
        self.bin = pg_bin
        self.port = cluster.free_port()
        # PostgreSQL refuses to run as root.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, program, *args, timeout=120):
        command = [*self.as_owner, str(self.bin / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise cluster.Failure(f"{program} {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")

    def create(self):
        if self.as_owner:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as settings:
            settings.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
            )
        self.start()

    def pg_ctl(self, *args):
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args)

    def start(self):
        self.pg_ctl("start")

    def stop(self):
        self.pg_ctl("stop", "-m", "fast")

    def restart(self):
        self.pg_ctl("restart", "-m", "fast")

    def url(self, name):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            try:
                self.pg_ctl("stop", "-m", "immediate")
            except (cluster.Failure, subprocess.TimeoutExpired) as error:
                print(f"Stopping the cluster: {error}", file=sys.stderr)
        shutil.rmtree(self.folder, ignore_errors=True)


class Probe(threading.Thread):
    """Connects to the database every PROBE_SECONDS: (when, whether it answered)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        name = cluster.database_parts(self.url)["NAME"]
        while not self.stopping.wait(PROBE_SECONDS):
            at = clock()
            try:
                with cluster.connect(self.url, name) as connection:
                    connection.execute("SELECT 1")
                self.samples.append((at, True))
            except Exception as error:
                if not type(error).__module__.startswith("psycopg"):
                    raise
                self.samples.append((at, False))

    def outages(self):
        """(from the first failed connection, to the first that answered again)."""
        found, began = [], None
        for at, answered in self.samples:
            if not answered and began is None:
                began = at
            elif answered and began is not None:
                found.append((began, at))
                began = None
        if began is not None:
            found.append((began, self.samples[-1][0]))
        return found


class Reader(threading.Thread):
    """One connection's worth of readers: the next address as soon as the last is answered,
    until `until`. Each answer: (when it was asked, status or None for no answer)."""

    def __init__(self, port, first, until):
        super().__init__(daemon=True)
        self.port, self.next, self.until = port, first, until
        self.answers = []

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_SECONDS)
        headers = {"Host": "127.0.0.1", "User-Agent": "foreignpolicy-bench"}
        while (asked := clock()) < self.until:
            address = ADDRESSES[self.next % len(ADDRESSES)]
            self.next += 1
            try:
                connection.request("GET", address, headers=headers)
                response = connection.getresponse()
                response.read()
                self.answers.append((asked, response.status))
            except (OSError, http.client.HTTPException):
                connection.close()
                self.answers.append((asked, None))


def tally(answers):
    statuses = Counter(status for _asked, status in answers)
    return {
        "requests": len(answers),
        "2xx": sum(count for status, count in statuses.items() if status and status < 300),
        "503": statuses[503],
        "other 5xx": sum(count for status, count in statuses.items() if status and status >= 500 and status != 503),
        "no answer": statuses[None],
        "statuses": statuses,
    }


def row(what, answers):
    figures = tally(answers)
    columns = [figures[column] for column in ("requests", "2xx", "503", "other 5xx", "no answer")]
    return f"| {what} | {' | '.join(str(column) for column in columns)} |"


def wait_until(moment):
    time.sleep(max(0.0, moment - clock()))


def load():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8, help="readers, each one request at a time")
    parser.add_argument("--seconds", type=float, default=40, help="how long the load lasts")
    parser.add_argument("--restart-at", type=float, default=10, help="seconds into the load: pg_ctl restart -m fast")
    parser.add_argument("--stop-at", type=float, default=22, help="seconds into the load: pg_ctl stop -m fast")
    parser.add_argument("--pause", type=float, default=5, help="seconds the cluster stays stopped")
    parser.add_argument("--fresh-seconds", type=int, default=2, help="PAGE_CACHE_SECONDS of the server")
    parser.add_argument("--workers", type=int, default=cluster.GUNICORN_WORKERS, help="gunicorn workers")
    parser.add_argument("--cache-url", default=CACHE_URL, help="emptied first")
    parser.add_argument("--pg-bin", type=Path, default=PG_BIN, help="PostgreSQL 15's programs")
    options = parser.parse_args()
    if not options.restart_at < options.stop_at < options.seconds - options.pause:
        parser.error("the restart, then the stop and its pause, must fall within the load")
    signal.signal(signal.SIGTERM, interrupted)
    folder = Path(tempfile.mkdtemp(prefix="fp-bench-db-restart-"))
    postgres = Postgres(options.pg_bin)
    env = cluster.environment(
        database_url=postgres.url(DATABASE),
        queue_url=QUEUE_URL,
        cache_url=options.cache_url,
        secret_key=secrets.token_urlsafe(50),
        extra={"ALLOWED_HOSTS": "127.0.0.1", "PAGE_CACHE_SECONDS": str(options.fresh_seconds)},
    )
    port = cluster.free_port()
    server = cluster.Cluster(env, ports=[port], workers=options.workers, folder=folder)
    ok = False
    try:
        cluster.redis_answers(options.cache_url, flush=True)
        postgres.create()
        version = cluster.create_database(postgres.url(DATABASE))
        server.manage("migrate", "--no-input")
        server.manage("load_demo")
        server.collectstatic()
        with server:
            server.up(worker=False)
            for address in ADDRESSES:
                status, _body = cluster.get(port, address, timeout=60)
                if status != 200:
                    raise cluster.Failure(f"{address} answered {status} on warming")
            print(
                f"PostgreSQL {version} (a cluster of its own on 127.0.0.1:{postgres.port}), "
                f"Python {platform.python_version()}, {os.cpu_count()} cores; gunicorn --workers {options.workers} "
                f"(sync), PAGE_CACHE_SECONDS={options.fresh_seconds}; {options.connections} readers for "
                f"{options.seconds:.0f} s over {len(ADDRESSES)} public pages; load average {load()} at the start\n",
                flush=True,
            )
            probe = Probe(postgres.url(DATABASE))
            probe.start()
            started = clock()
            readers = [Reader(port, n, started + options.seconds) for n in range(options.connections)]
            for reader in readers:
                reader.start()
            wait_until(started + options.restart_at)
            postgres.restart()
            wait_until(started + options.stop_at)
            postgres.stop()
            time.sleep(options.pause)
            postgres.start()
            for reader in readers:
                reader.join(options.seconds + REQUEST_SECONDS)
            probe.stopping.set()
            probe.join(5)
            server.check()
        answers = sorted(answer for reader in readers for answer in reader.answers)
        outages = probe.outages()
        print("| requests | number | 2xx | 503 | other 500 or more | no answer |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        print(row(f"the whole run, {options.seconds:.0f} s", answers), flush=True)
        stale = []
        for (began, ended), what in zip(outages, ["`pg_ctl restart -m fast`", "stop, pause, start"], strict=False):
            during = [answer for answer in answers if began <= answer[0] < ended]
            stale += [answer for answer in during if answer[0] >= began + options.fresh_seconds]
            print(row(f"while the database was away: {what}, {ended - began:.2f} s", during))
        print(row(f"of those, asked more than {options.fresh_seconds} s into an outage (last good copies)", stale))
        whole = tally(answers)
        statuses = ", ".join(
            f"{status or 'no answer'} × {count}" for status, count in sorted(whole["statuses"].items(), key=str)
        )
        log = server.log(f"app-{port}")
        print(
            f"\nOutages seen by the probe (a connection every {PROBE_SECONDS * 1000:.0f} ms): {len(outages)}, "
            f"starting {', '.join(f'{began - started:.1f} s' for began, _ended in outages)} into the load. "
            f"Statuses: {statuses}. gunicorn's log: {log.count('The database does not answer')} warnings of "
            f"foreignpolicy.database_away, {log.count('Internal Server Error')} server errors, "
            f"{log.count('WORKER TIMEOUT')} worker timeouts. Load average {load()} at the end.",
            flush=True,
        )
        if len(outages) != 2:
            raise cluster.Failure(f"the probe saw {len(outages)} outages, not 2")
        if whole["other 5xx"] or whole["503"] or whole["no answer"]:
            raise cluster.Failure("some readers got an answer of 500 or more, or none")
        ok = True
    except cluster.Failure as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
    except subprocess.TimeoutExpired as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        server.stop()
        if not ok:
            for name in ("setup", f"app-{port}"):
                tail = server.log(name)[-3000:]
                if tail:
                    print(f"\n--- end of {folder / name}.log ---\n{tail}", file=sys.stderr)
            if postgres.log.exists():
                print(f"\n--- end of {postgres.log} ---\n{postgres.log.read_text()[-2000:]}", file=sys.stderr)
        postgres.remove()
        shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
