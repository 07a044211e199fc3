"""What the site answers while its database does not: a restart, a failover, a lost
connection. Never a server error.

Readers of the public pages get the page cache's last good copy of the page they ask for,
however old it is (foreignpolicy.page_cache keeps every page it stores for
PAGE_CACHE_STALE_SECONDS beyond its freshness, for this). Everyone else gets the 503 page
of this module, with Retry-After: the admin, any POST, a logged-in staff member, and a
page that was never cached. The page is in the reader's language and then in the other,
and it is rendered without the request (no context processor runs, so nothing reads the
session or the database).

Which errors: Django's OperationalError and InterfaceError, raised when a connection
cannot be made or is lost mid-request (and when a statement is cancelled or a lock is not
granted, which also call for "try again"). A wrong query (ProgrammingError,
IntegrityError, DataError) is a bug, and stays a server error.

Where they are caught: in the view and while its template renders (this module's
middleware), and where the page cache itself asks the database (the next scheduled
change, foreignpolicy.page_cache.current_state). No middleware of the stack queries the
database outside the view: the session and the user are read lazily, in the view.

Logging: a warning, with the error, on the first failure of an incident (a failure more
than INCIDENT_GAP_SECONDS after the one before), then at most one a minute while the
failures go on; each counts the requests answered without the database since the last.
Each process logs its own.
"""

import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from .error_pages import reader_languages

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (InterfaceError, OperationalError)
# A restart takes seconds; crawlers that honour it come back after this.
RETRY_AFTER_SECONDS = 30
# While the database is away, a busy site's requests fail well under a second apart.
INCIDENT_GAP_SECONDS = 5
WARNING_INTERVAL_SECONDS = 60


class Unavailable(HttpResponse):
    """The 503 page; the page cache replaces it with the page's last good copy when it has one."""

    status_code = 503


class Failures:
    """The requests the database failed in this process, and when they were last logged."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.failed_at = self.logged_at = None
        self.unlogged = 0

    def report(self, error):
        with self.lock:
            now = self.clock()
            new_incident = self.failed_at is None or now - self.failed_at > INCIDENT_GAP_SECONDS
            self.failed_at = now
            self.unlogged += 1
            if not new_incident and now - self.logged_at < WARNING_INTERVAL_SECONDS:
                return
            count, self.unlogged, self.logged_at = self.unlogged, 0, now
        logger.warning(
            "The database does not answer (requests answered without it since the last warning: %d). "
            "Readers get the page cache's last good copies, everyone else the 503 page.",
            count,
            exc_info=error,
        )


failures = Failures()


def unavailable(request, error):
    """The 503 page for a request the database failed; the failure is logged."""
    failures.report(error)
    return Unavailable(
        render_to_string("503.html", {"languages": reader_languages(request)}),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )


class DatabaseAwayMiddleware:
    """Answers a request whose view (or its template) the database failed with the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return unavailable(request, exception)
        return None
