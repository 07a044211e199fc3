"""Scale out: the app servers keep nothing of their own, so a staff member may log in on
one, upload a file there, and confirm its preview on another.

Two real gunicorn instances run as `make cluster` starts them (bench/cluster.py:
production settings, one SECRET_KEY, the queue and the cache in Redis), against this
test's database. The client plays the browser behind a proxy: one site (one Host, HTTPS
said by X-Forwarded-Proto), one cookie jar, each request sent to the server the test
chooses.

PostgreSQL only. On SQLite pytest-django keeps the test database in the memory of the
test's own process, which no server process can open; and app servers on several
machines cannot share a SQLite file anyway. The data must be committed for the servers
to see it, hence a transactional test, whose serialized rollback brings back what the
migrations wrote (countries, types, statuses) for the tests after it.
"""

import itertools
import os
import re
import secrets
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from agreements.models import Agreement
from bench import cluster
from foreignpolicy.models import FileJob
from foreignpolicy.two_step import authenticator_to_confirm, confirm_authenticator

SITE = "cancilleria.test"
# Redis databases that nothing else in the project uses; the cache's is emptied first.
QUEUE_URL = "redis://127.0.0.1:6379/14"
CACHE_URL = "redis://127.0.0.1:6379/15"
CSV = (
    "slug,title_en,title_es,type,status,parties,signed_on,published\n"
    "pe-ca,Peru-Canada FTA,TLC Perú-Canadá,Tratado de libre comercio,Vigente,CA,29/05/2008,sí\n"
    "pe-cl,Peru-Chile FTA,TLC Perú-Chile,free-trade-agreement,in_force,CL,2006-08-22,yes\n"
).encode()
IMPORT = reverse("admin:agreements_agreement_import")
CHANGELIST = reverse("admin:agreements_agreement_changelist")
SECOND_STEP = reverse("admin:two_step")
LIST = "/en/agreements/"
INLINE_MAX_BYTES = 1000
ROWS = 40
JOB_SECONDS = 30


class Browser:
    """Cookies and headers as a browser keeps them for one site, whichever server answers."""

    def __init__(self):
        self.cookies = {}

    def request(self, port, method, path, body=None, headers=None):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent = {
            "Host": SITE,
            "X-Forwarded-Proto": "https",
            "Accept-Language": "en",
            **({"Cookie": cookie} if cookie else {}),
            **({"Origin": f"https://{SITE}", "Referer": f"https://{SITE}{path}"} if method == "POST" else {}),
            **(headers or {}),
        }
        server = HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            server.request(method, path, body=body, headers=sent)
            response = server.getresponse()
            content = response.read().decode()
        finally:
            server.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, fields, files=None):
        boundary = secrets.token_hex(16)
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        for name, (file_name, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
                "Content-Type: text/csv\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            port, "POST", path, body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def database_url():
    database = connection.settings_dict
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    user = f"{quote(database['USER'], safe='')}{password}@" if database["USER"] else ""
    host = database["HOST"] or "127.0.0.1"
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{user}{host}{port}/{quote(database['NAME'], safe='')}"


@pytest.fixture(scope="module")
def running_cluster(django_db_setup, tmp_path_factory):
    """Two app servers on free ports and one worker, sharing the test database and Redis.
    Files of more than 1,000 bytes are previewed and imported by the worker."""
    if connection.vendor != "postgresql":
        pytest.skip("Two app servers share a PostgreSQL database; this run is on SQLite.")
    try:
        cluster.redis_answers(QUEUE_URL, flush=True)
        cluster.redis_answers(CACHE_URL)
    except cluster.Failure as failure:
        if os.environ.get("CI") == "true":
            pytest.fail(str(failure), pytrace=False)
        pytest.skip(str(failure))
    env = cluster.environment(
        database_url=database_url(),
        queue_url=QUEUE_URL,
        cache_url=CACHE_URL,
        secret_key=secrets.token_urlsafe(50),
        extra={"ALLOWED_HOSTS": f"{SITE},127.0.0.1", "IMPORT_INLINE_MAX_BYTES": str(INLINE_MAX_BYTES)},
    )
    folder = tmp_path_factory.mktemp("cluster")
    servers = cluster.Cluster(env, ports=[cluster.free_port(), cluster.free_port()], workers=1, folder=folder)
    servers.collectstatic()
    with servers:
        try:
            servers.up(worker=True)
        except cluster.Failure as failure:
            pytest.fail(f"{failure}\n{servers.log(f'app-{servers.ports[0]}')[-2000:]}", pytrace=False)
        yield servers


@pytest.fixture
def servers(running_cluster, transactional_db, django_db_serialized_rollback):
    """The two servers' ports, with the data this test commits, and an empty cache."""
    cluster.redis_answers(CACHE_URL, flush=True)
    return running_cluster.ports


@pytest.fixture
def staff(servers, django_user_model):
    """A superuser whose password the servers can check (the test settings hash with MD5,
    which production does not accept), with an authenticator app and a recovery code for
    production's second step."""
    password = secrets.token_urlsafe(12)
    hasher = PBKDF2PasswordHasher()
    user = django_user_model.objects.create(
        username="staff", is_staff=True, is_superuser=True, password=hasher.encode(password, hasher.salt())
    )
    recovery_codes = confirm_authenticator(authenticator_to_confirm(user))
    return "staff", password, recovery_codes[0]


def logged_in(port, staff):
    browser = Browser()
    username, password, recovery_code = staff
    browser.get(port, "/admin/login/")
    status, headers, _page = browser.post(
        port, "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}
    )
    assert (status, headers["Location"]) == (302, f"{SECOND_STEP}?next=%2Fadmin%2F"), f"no password on {port}"
    status, headers, _page = browser.post(port, SECOND_STEP, {"code": recovery_code, "next": "/admin/"})
    assert (status, headers["Location"]) == (302, "/admin/"), f"no second step on the server on {port}"
    return browser


def finished(browser, ports, job):
    """The job's page once it stops reloading itself, asked of each server in turn."""
    deadline = time.monotonic() + JOB_SECONDS
    for turn in itertools.count():
        status, _headers, page = browser.get(ports[turn % len(ports)], job)
        assert status == 200
        if '<meta http-equiv="refresh"' not in page:
            return page
        assert time.monotonic() < deadline, f"the job was not over after {JOB_SECONDS} s"
        time.sleep(0.2)


def titles(page):
    return sorted(set(re.findall(r"Peru-(?:Canada|Chile) FTA", page)))


def test_a_preview_made_on_one_app_server_is_confirmed_on_the_other(servers, staff):
    a, b = servers
    public = Browser()
    for port in (a, b):  # anything either server might keep of the list, before the import
        status, _headers, page = public.get(port, LIST)
        assert (status, titles(page)) == (200, [])

    browser = logged_in(a, staff)
    status, _headers, page = browser.get(b, CHANGELIST)
    assert status == 200 and "Log out" in page, "server B does not know the session made on server A"

    status, headers, page = browser.post(a, IMPORT, {}, {"import_file": ("agreements.csv", CSV)})
    assert status == 302, page[:2000]
    job = headers["Location"]
    preview = FileJob.objects.get(action=FileJob.Action.PREVIEW)
    assert job == reverse("admin:agreements_agreement_job", args=[preview.pk])
    status, _headers, page = browser.get(b, job)
    assert status == 200 and "Preview: 2 created, 0 updated, 0 unchanged" in page
    assert not Agreement.objects.exists()

    status, headers, page = browser.post(b, f"{job}confirm/", {})
    assert (status, headers["Location"]) == (302, CHANGELIST), page[:2000]
    status, _headers, page = browser.get(a, CHANGELIST)  # its message, in a cookie B signed, read on A
    assert "Agreements.csv imported: 2 created, 0 updated, 0 unchanged" in page

    assert sorted(Agreement.objects.values_list("slug", flat=True)) == ["pe-ca", "pe-cl"]
    assert FileJob.objects.get(action=FileJob.Action.CONFIRM).preview_id == preview.pk
    for port in (b, a):
        status, _headers, page = public.get(port, LIST)
        assert (status, titles(page)) == (200, ["Peru-Canada FTA", "Peru-Chile FTA"]), f"server on {port}"
    status, _headers, page = public.get(b, Agreement.objects.get(slug="pe-ca").get_absolute_url())
    assert status == 200 and "Peru-Canada FTA" in page


def ran(servers):
    return servers.log("worker").count("Executing foreignpolicy.tasks.run_file_job: ")


def large_file():
    lines = [CSV.decode().splitlines()[0]]
    lines += [f"big-{n},Agreement {n},Acuerdo {n},Acuerdo marco,signed,CL,2020-01-01,yes" for n in range(ROWS)]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > INLINE_MAX_BYTES
    return data


def test_a_large_file_queued_by_one_app_server_is_previewed_and_imported_by_the_worker(servers, staff, running_cluster):
    a, b = servers
    ran_before = ran(running_cluster)
    browser = logged_in(a, staff)
    status, headers, page = browser.post(a, IMPORT, {}, {"import_file": ("large.csv", large_file())})
    assert status == 302, page[:2000]
    job = headers["Location"]
    page = finished(browser, (b, a), job)
    assert f"Preview: {ROWS} created, 0 updated, 0 unchanged" in page
    assert FileJob.objects.get(action=FileJob.Action.PREVIEW).state == FileJob.State.DONE

    status, headers, page = browser.post(b, f"{job}confirm/", {})
    assert status == 302, page[:2000]
    confirm = FileJob.objects.get(action=FileJob.Action.CONFIRM)
    assert headers["Location"] == reverse("admin:agreements_agreement_job", args=[confirm.pk])
    page = finished(browser, (a, b), headers["Location"])
    assert f"large.csv imported: {ROWS} created" in page
    assert Agreement.objects.filter(slug__startswith="big-").count() == ROWS
    assert ran(running_cluster) == ran_before + 2, "the worker did not run both jobs"
