"""The production topology on one machine: two app servers, the worker, PostgreSQL and Redis.

    .venv/bin/python bench/cluster.py        # or: make cluster

Starts two gunicorn instances (`gunicorn foreignpolicy.wsgi`, production settings) on
127.0.0.1:8001 and 127.0.0.1:8002 and one worker (`manage.py run_huey`), all with the same
environment: the machine's PostgreSQL (the database is created if missing, migrated, and
given the demo if it holds no records) and its Redis, as the job queue (HUEY_REDIS_URL)
and as the cache (CACHE_REDIS_URL). The static files are collected first and served by
WhiteNoise. The SECRET_KEY is the environment's, or a random one kept in
var/cluster/secret_key, the same for both servers. Plain HTTP on the loopback
(SECURE_SSL_REDIRECT=false): a real deployment puts nginx or haproxy in front, with TLS
(README, "Production topology"). Ctrl-C stops everything.

The app servers keep nothing of their own: sessions, jobs and their files are in the
database, the queue and the cache in Redis. So any request may go to either server.
bench/throughput.py and tests/foreignpolicy/test_scale_out.py start the same processes
with `Cluster`.
"""

import argparse
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STATE = ROOT / "var" / "cluster"
ADMIN = "admin"

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foreignpolicy_cluster"
QUEUE_URL = "redis://127.0.0.1:6379/0"
CACHE_URL = "redis://127.0.0.1:6379/1"
PORTS = (8001, 8002)
GUNICORN_WORKERS = 2
START_SECONDS = 60
SETUP_SECONDS = 600
STOP_SECONDS = 15

# Variables of the environment that would change what the cluster runs; each is set below.
REPLACED = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "DATABASE_URL",
    "SECRET_KEY",
    "HUEY_REDIS_URL",
    "HUEY_SQLITE_PATH",
    "CACHE_REDIS_URL",
)


class Failure(Exception):
    pass


def environment(*, database_url, queue_url, cache_url, secret_key, extra=None):
    """What every process of the cluster runs with, the same on every app server and worker."""
    env = {key: value for key, value in os.environ.items() if key not in REPLACED}
    env.update(
        DJANGO_SETTINGS_MODULE="foreignpolicy.settings.production",
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        HUEY_REDIS_URL=queue_url,
        # The page cache's Redis (Django's RedisCache).
        CACHE_REDIS_URL=cache_url,
        # Plain HTTP on the loopback; behind a TLS proxy, leave it on (its default).
        SECURE_SSL_REDIRECT="false",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.update(extra or {})
    return env


def kept_secret_key():
    """The environment's SECRET_KEY, else one made once and kept in var/cluster/secret_key."""
    if len(os.environ.get("SECRET_KEY", "")) >= 50:
        return os.environ["SECRET_KEY"]
    path = STATE / "secret_key"
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def database_parts(url):
    import dj_database_url

    parts = dj_database_url.parse(url)
    if parts["ENGINE"] != "django.db.backends.postgresql":
        raise Failure(f"The cluster needs PostgreSQL (the app servers share it), not {url}")
    return parts


def connect(url, dbname):
    import psycopg

    parts = database_parts(url)
    return psycopg.connect(
        host=parts["HOST"] or None,
        port=parts["PORT"] or None,
        user=parts["USER"] or None,
        password=parts["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
        connect_timeout=10,
    )


def create_database(url, *, rebuild=False):
    """Create the database if it is missing (drop it first if `rebuild`); the server's version."""
    from psycopg import sql

    name = database_parts(url)["NAME"]
    try:
        with connect(url, "postgres") as connection:
            if rebuild:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return connection.info.parameter_status("server_version")
    except OSError as error:
        raise Failure(f"PostgreSQL does not answer at {url}: {error}") from error
    except Exception as error:
        if type(error).__module__.startswith("psycopg"):
            raise Failure(f"PostgreSQL at {url}: {error}") from error
        raise


def redis_answers(url, *, flush=False):
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        client.ping()
        if flush:
            client.flushdb()
        client.close()
    except redis.RedisError as error:
        raise Failure(f"Redis does not answer at {url}: {error}") from error


def port_is_free(port, host="127.0.0.1"):
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path, *, timeout=10):
    """One plain GET to a server on the loopback: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", "User-Agent": "foreignpolicy-cluster"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Cluster:
    """Processes started each in a session of its own, so that stopping one stops its
    children too. Output goes to a file per process in `folder`, or, without a folder, to
    this terminal, each line prefixed with the process's name."""

    def __init__(self, env, *, ports=PORTS, workers=GUNICORN_WORKERS, folder=None, access_log=False):
        self.env = env
        self.ports = list(ports)
        self.workers = workers
        self.folder = Path(folder) if folder else None
        self.access_log = access_log
        self.running = []

    # Setting up, with the same environment

    def manage(self, *args, extra=None, timeout=SETUP_SECONDS):
        command = [sys.executable, "manage.py", *args]
        env = {**self.env, **(extra or {})}
        if self.folder:
            with (self.folder / "setup.log").open("ab") as log:
                done = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
        else:
            done = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout)
        if done.returncode:
            raise Failure(f"manage.py {' '.join(args)} failed (exit {done.returncode})")

    def prepare(self, *, demo=True):
        """Migrate, collect the static files, and load the demo into a database without records."""
        self.manage("migrate", "--no-input")
        self.collectstatic()
        if demo:
            self.manage("load_demo", "--if-empty")

    def collectstatic(self):
        self.manage("collectstatic", "--no-input", "--verbosity", "0")

    # Running

    def start(self, name, command):
        output = (self.folder / f"{name}.log").open("ab") if self.folder else subprocess.PIPE
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        if self.folder:
            output.close()
        else:
            threading.Thread(target=prefix, args=(name, process.stdout), daemon=True).start()
        self.running.append((name, process))
        return process

    def gunicorn(self, port, *, module="foreignpolicy.wsgi", name=None):
        if not port_is_free(port):
            raise Failure(f"Port {port} is taken: choose others (make cluster CLUSTER_PORTS='8011 8012').")
        command = [
            str(BIN / "gunicorn"),
            module,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "30",
            # gunicorn's control socket is one file per user by default: two servers on one
            # machine would take it from each other, and nothing here uses it.
            "--no-control-socket",
            *(["--access-logfile", "-"] if self.access_log else []),
        ]
        return self.start(name or f"app-{port}", command)

    def up(self, *, worker=True):
        """Both app servers, the worker, and a wait until each server answers."""
        for port in self.ports:
            self.gunicorn(port)
        if worker:
            self.start("worker", [sys.executable, "manage.py", "run_huey"])
        for port in self.ports:
            self.wait_for(port)
        return self

    def wait_for(self, port, path="/robots.txt", seconds=START_SECONDS):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check()
            try:
                status, _body = get(port, path, timeout=max(1, deadline - time.monotonic()))
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            raise Failure(f"127.0.0.1:{port}{path} answered {status} on starting")
        raise Failure(f"127.0.0.1:{port} did not answer within {seconds} s")

    def check(self):
        for name, process in self.running:
            if process.poll() is not None:
                raise Failure(f"{name} stopped (exit {process.returncode}){self.where(name)}")

    def where(self, name):
        return f"; its log: {self.folder / f'{name}.log'}" if self.folder else ""

    def log(self, name):
        path = self.folder / f"{name}.log" if self.folder else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self):
        for _name, process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for _name, process in self.running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.running = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def prefix(name, stream):
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
        sys.stdout.flush()


ENSURE_ADMIN = """
import os
from django.contrib.auth import get_user_model
name, password = os.environ["CLUSTER_ADMIN"], os.environ["CLUSTER_ADMIN_PASSWORD"]
user = get_user_model().objects.filter(username=name).first()
if user is None:
    get_user_model().objects.create_superuser(name, email="", password=password)
elif not user.check_password(password):
    print(f"The user “{name}” has another password (changepassword {name} sets it).")
"""


def admin_password(cluster):
    """The superuser "admin", made with a random password kept in var/cluster/admin-password.txt
    (not var/admin-password.txt, which is `make run`'s)."""
    path = STATE / "admin-password.txt"
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12) + "\n")
        path.chmod(0o600)
    password = path.read_text().strip()
    cluster.manage("shell", "-c", ENSURE_ADMIN, extra={"CLUSTER_ADMIN": ADMIN, "CLUSTER_ADMIN_PASSWORD": password})
    return password, path


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DATABASE_URL, help=f"PostgreSQL (default {DATABASE_URL})")
    parser.add_argument("--queue-url", default=QUEUE_URL, help=f"Redis for the job queue (default {QUEUE_URL})")
    parser.add_argument("--cache-url", default=CACHE_URL, help=f"Redis for the cache (default {CACHE_URL})")
    parser.add_argument("--ports", type=int, nargs="+", default=list(PORTS), help="one app server on each")
    parser.add_argument("--workers", type=int, default=GUNICORN_WORKERS, help="gunicorn workers per app server")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    env = environment(
        database_url=options.database_url,
        queue_url=options.queue_url,
        cache_url=options.cache_url,
        secret_key=kept_secret_key(),
    )
    cluster = Cluster(env, ports=options.ports, workers=options.workers, access_log=True)
    try:
        if options.queue_url == options.cache_url:
            raise Failure("The queue and the cache need Redis databases of their own (clearing the cache empties its).")
        redis_answers(options.queue_url)
        redis_answers(options.cache_url)
        create_database(options.database_url)
        cluster.prepare()
        password, path = admin_password(cluster)
        with cluster:
            cluster.up()
            print("\nThe cluster is up: the same site on every app server, one worker, Ctrl-C stops it all.")
            for port in options.ports:
                print(f"  app server  http://127.0.0.1:{port}/en/   admin http://127.0.0.1:{port}/admin/")
            print(f"  admin user “{ADMIN}”  password “{password}” (kept in {path.relative_to(ROOT)})")
            print(f"  database {options.database_url}; queue {options.queue_url}; cache {options.cache_url}\n")
            sys.stdout.flush()
            while True:
                cluster.check()
                time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopped the app servers and the worker.")
    except Failure as failure:
        cluster.stop()
        sys.exit(f"make cluster: {failure}")


if __name__ == "__main__":
    main()
