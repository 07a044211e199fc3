import os
import subprocess
import sys
from html.parser import HTMLParser


def problems(result):
    return [str(problem) for problem in result.problems]


def csv_text(*lines):
    return "\n".join(lines) + "\n"


def url(name, language="en", **kwargs):
    """The address of a page in a language (every public page lives under /es/ or /en/)."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def page_slugs(response):
    return [record.slug for record in response.context["object_list"]]


def then_meanwhile(monkeypatch, module, name, action):
    """Make `module.name` run `action` after it returns: someone else's change, made while
    the code under test is between two of its steps."""
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        value = original(*args, **kwargs)
        action()
        return value

    monkeypatch.setattr(module, name, wrapped)


class _Tables(HTMLParser):
    """The text of each cell of each row of a page's tables."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html):
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def history(client, record, **query):
    """A record's History page in the admin, as its reader sees each revision, newest
    first: (user, how, what changed)."""
    from django.urls import reverse

    opts = record._meta
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[record.pk]), query)
    assert page.status_code == 200
    html = page.content.decode()
    return [tuple(row[2:5]) for row in table_rows(html[html.index('id="change-history"') :])[1:]]


def settled_page_cache():
    """Give the page cache the state a running site has: the first request after the cache
    is emptied also reads when the next scheduled publication is (one query, once)."""
    from foreignpolicy import page_cache

    page_cache.current_state(None)


def in_new_process(*arguments, without=(), **env):
    """`python arguments…` run in the project folder, as a fresh start of the site would be:
    with this environment minus the variables named (or begun) by `without`, plus `env`."""
    from django.conf import settings

    environment = {key: value for key, value in os.environ.items() if not key.startswith(tuple(without))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, *arguments], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )


def queries_of(client, address):
    """How many queries a page that answers 200 runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def no_inline_rows(*prefixes):
    """The management forms of an admin page's inlines (an agreement's: steps, participants), empty."""
    return {f"{prefix}-{name}": "0" for prefix in prefixes for name in ("TOTAL_FORMS", "INITIAL_FORMS")}
