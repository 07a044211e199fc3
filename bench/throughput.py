"""Requests per second of the public pages under gunicorn, beside a trivial Django view.

    .venv/bin/python bench/throughput.py        # or: make bench-throughput

The script rebuilds the PostgreSQL database foreignpolicy_bench_throughput (127.0.0.1:5432,
user postgres) with the production settings: migrated, 30,000 agreements and 6,000 events
written in bulk by bench/public_pages.py's SQL, then the demo (its directorates, and its
agreements and events beside the others), and the static files collected. It then starts
the cluster of `make cluster` (bench/cluster.py: two app servers, each
`gunicorn foreignpolicy.wsgi --workers 2`, one worker, the queue and the cache in Redis,
whose cache database is emptied first), and a third gunicorn with the same settings and
options serving bench/trivial_wsgi.py: the same middleware, and one view that answers
"ok". Every server is on a free loopback port; plain HTTP (SECURE_SSL_REDIRECT=false).

wrk (Debian's package; `make bench-throughput` installs it) loads one address at a time,
of the first app server or of the trivial one, from the same machine: 2 threads, 10
connections, 10 s, as an anonymous reader (no cookie). After a 2 s warm-up of each
address, it goes three times through all of them in turn, so that each figure is taken
beside the others under the same conditions; the table gives the median of the three
runs. Any answer other than 200 fails the run. Prints a Markdown table for
docs/performance.md ("Throughput under gunicorn"). The run takes some 7 minutes.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cluster  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_throughput"
QUEUE_URL = "redis://127.0.0.1:6379/7"
CACHE_URL = "redis://127.0.0.1:6379/8"
TRIVIAL = "trivial"

# (what, address, server): the trivial view first, then anonymous public pages.
ADDRESSES = [
    ("trivial Django view (bench/trivial_wsgi.py)", "/trivial/", TRIVIAL),
    ("home", "/en/", "site"),
    ("home, Spanish", "/es/", "site"),
    ("agreements", "/en/agreements/", "site"),
    ("agreements, Spanish", "/es/acuerdos/", "site"),
    ("agreements with Chile", "/en/agreements/?party=CL", "site"),
    ("one agreement", "/en/agreements/agreement-1234/", "site"),
    ("timeline (this year)", "/en/events/", "site"),
    ("timeline 2020", "/es/eventos/?year=2020", "site"),
    ("directorates", "/en/directorates/", "site"),
    ("search", "/en/search/?q=trade", "site"),
]

# wrk's summary as one line of JSON (latencies in microseconds).
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "microseconds": %d, "p50": %d, "p99": %d, "status": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
"""


def fill(url, agreements, events):
    """bench/public_pages.py's rows, written in bulk into the migrated, empty database."""
    os.environ["DATABASE_URL"] = url  # public_pages sets Django up on import, on that database
    from bench.public_pages import AGREEMENTS_SQL, EVENTS_SQL, RELATIONS_SQL

    sizes = {"agreements": agreements, "events": events}
    with cluster.connect(url, cluster.database_parts(url)["NAME"]) as connection:
        for sql in [AGREEMENTS_SQL, EVENTS_SQL, *RELATIONS_SQL]:
            connection.execute(sql.format_map(sizes))


def counts(url):
    with cluster.connect(url, cluster.database_parts(url)["NAME"]) as connection:
        connection.execute("ANALYZE")
        return [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("agreements_agreement", "events_event", "directorates_directorate")
        ]


def wrk(url, script, *, threads, connections, seconds):
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["rate"] = figures["requests"] / (figures["microseconds"] / 1e6)
    return figures


def size_text(size):
    return f"{size / 1000:.0f} KB" if size >= 1000 else f"{size} bytes"


def load():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=30_000)
    parser.add_argument("--events", type=int, default=6_000)
    parser.add_argument("--database-url", default=DATABASE_URL, help="rebuilt unless --keep")
    parser.add_argument("--queue-url", default=QUEUE_URL)
    parser.add_argument("--cache-url", default=CACHE_URL, help="emptied first")
    parser.add_argument("--keep", action="store_true", help="use the database as it is")
    parser.add_argument("--workers", type=int, default=cluster.GUNICORN_WORKERS, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=10, help="wrk -c")
    parser.add_argument("--seconds", type=int, default=10, help="wrk -d, each run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-up", type=int, default=2, help="seconds of wrk before the runs, per address")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (make bench-throughput does it)")
    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="fp-bench-throughput-"))
    script = folder / "report.lua"
    script.write_text(REPORT)
    env = cluster.environment(
        database_url=options.database_url,
        queue_url=options.queue_url,
        cache_url=options.cache_url,
        secret_key=secrets.token_urlsafe(50),
        extra={"ALLOWED_HOSTS": "127.0.0.1"},
    )
    ports = [cluster.free_port(), cluster.free_port()]
    servers = cluster.Cluster(env, ports=ports, workers=options.workers, folder=folder)
    ok = False
    try:
        cluster.redis_answers(options.queue_url)
        cluster.redis_answers(options.cache_url, flush=True)
        version = cluster.create_database(options.database_url, rebuild=not options.keep)
        if not options.keep:
            servers.manage("migrate", "--no-input")
            fill(options.database_url, options.agreements, options.events)
            servers.manage("load_demo")
        servers.collectstatic()
        agreements, events, directorates = counts(options.database_url)
        built = time.monotonic() - started
        with servers:
            servers.up()
            trivial = cluster.free_port()
            servers.gunicorn(trivial, module="bench.trivial_wsgi", name=TRIVIAL)
            servers.wait_for(trivial, "/trivial/")
            port = {"site": ports[0], TRIVIAL: trivial}
            sizes = {}
            for _what, address, server in ADDRESSES:
                status, body = cluster.get(port[server], address, timeout=60)
                if status != 200:
                    raise cluster.Failure(f"{address} answered {status}")
                sizes[address] = len(body)
            print(
                f"{agreements:,} agreements, {events:,} events, {directorates} directorates; built in {built:.0f} s; "
                f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} cores; "
                f"gunicorn --workers {options.workers} (sync) per server; "
                f"wrk -t{options.threads} -c{options.connections} -d{options.seconds}s, {options.runs} runs; "
                f"load average {load()} at the start\n",
                flush=True,
            )
            for _what, address, server in ADDRESSES:
                url = f"http://127.0.0.1:{port[server]}{address}"
                wrk(url, script, threads=options.threads, connections=options.connections, seconds=options.warm_up)
            runs = {address: [] for _what, address, _server in ADDRESSES}
            for _run in range(options.runs):
                for _what, address, server in ADDRESSES:
                    url = f"http://127.0.0.1:{port[server]}{address}"
                    figures = wrk(
                        url, script, threads=options.threads, connections=options.connections, seconds=options.seconds
                    )
                    failed = {key: figures[key] for key in ("status", "connect", "read", "write", "timeout")}
                    if any(failed.values()):
                        raise cluster.Failure(f"{address}: wrk counted errors {failed}")
                    runs[address].append(figures)
                    servers.check()
            print("| page | address | HTML | requests/s | of the trivial view | latency p50 | latency p99 |")
            print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
            baseline = statistics.median(run["rate"] for run in runs[ADDRESSES[0][1]])
            for what, address, _server in ADDRESSES:
                rate = statistics.median(run["rate"] for run in runs[address])
                p50 = statistics.median(run["p50"] for run in runs[address]) / 1000
                p99 = statistics.median(run["p99"] for run in runs[address]) / 1000
                print(
                    f"| {what} | `{address}` | {size_text(sizes[address])} | {rate:.0f} | {rate / baseline:.0%} | "
                    f"{p50:.0f} ms | {p99:.0f} ms |",
                    flush=True,
                )
            spread = ", ".join(
                f"{address} {min(r['rate'] for r in runs[address]):.0f}–{max(r['rate'] for r in runs[address]):.0f}"
                for _what, address, _server in ADDRESSES
            )
            print(f"\nRuns' range (requests/s): {spread}.")
            print(f"Load average {load()} at the end; whole run {time.monotonic() - started:.0f} s.")
        ok = True
    except cluster.Failure as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
    except subprocess.CalledProcessError as error:
        print(f"\nFAILED: {error}\n{error.stderr}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        servers.stop()
    if not ok:
        for name in ("setup", f"app-{ports[0]}", "worker", TRIVIAL):
            tail = servers.log(name)[-3000:]
            if tail:
                print(f"\n--- end of {folder / name}.log ---\n{tail}", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
