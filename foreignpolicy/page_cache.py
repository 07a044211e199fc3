"""Whole public pages for anonymous readers, cached, and dropped exactly when what the
public sees changes.

What is cached. `PageCacheMiddleware` keeps the response to an anonymous GET, keyed by
its absolute address (scheme, host, path and query: pages name their own address) and its
language, and answers the next GET or HEAD of that address from it: a hit reads two cache
entries in one round trip and runs no database query, no session, no view, no template.
Only these are stored: a GET without a session cookie or Authorization header, outside the
admin, answered 200 or 404 (a draft's address, a mistyped one: crawlers ask for them as
often as for pages), not streamed (the CSV and JSON downloads stream and are not
cached), setting no cookie (a CSRF token used, a session started), not marked
`Cache-Control: private` (a staff member's preview of a draft is) or `no-store`, and
varying on nothing but the language (in the key) and cookies (the session's: requests
with one are never answered from the cache). Staff are logged in, so they carry a session
cookie: what they are shown is neither stored nor served from here.

Why not Django's cache middleware or `cache_page`: both key on the headers a response
varies on, and a record's page reads the session (to know whether the reader may preview
drafts), which adds `Vary: Cookie`, so every reader's cookies would make a key of their
own; they drop a page only when its timeout ends; they set `max-age`, so that browsers
would keep a page past its change; and a hit asks the cache twice.

Invalidation. Every stored page is tagged with the public content's version, kept in the
cache under STATE_KEY, and a page whose tag is not the current version is a miss, and is
replaced. The version is a time in milliseconds: when what the public sees last changed.
It is bumped, once per transaction and only when that transaction commits
(`public_content_changed`), when
- a record is saved or deleted that is published, or was published until this save; a
  draft's edit changes nothing the public sees, and bumps nothing;
- a link between two things the public sees is added or removed (many-to-many);
- a vocabulary entry (country, organisation, topic, agreement type and status, event
  type) is saved or deleted;
- an import or an undo writes a published record, or publishes or unpublishes one
  (`rows_written`, called by the write stage, which sends no signals);
- the admin's bulk publish / unpublish action changes a record (it updates in SQL);
- migrations ran (a deploy may change what pages show).
Bumping when the transaction commits keeps a reader from caching, under the new version,
a page read from the database before the commit; a transaction rolled back bumps nothing.
A reader who began before the bump stores its page under the old tag, which no one is
served again. Writing in the database by other means (a shell, SQL) must be followed by
`public_content_changed()`; until then pages are at most PAGE_CACHE_SECONDS old.

Scheduled changes. Some pages change without a write: the agreements in force "today" and
the upcoming events change at midnight. The state holds, beside the version, the next
moment at which the public content changes by itself: the earliest that the functions in
SCHEDULES give. The first request after that moment makes it the version (so every page
stored before it is a miss) and asks SCHEDULES for the next. A record scheduled for later
(published, with a `publish_at` to come) is one such moment: `next_publication` gives the
earliest (a query per record kind, run only when the version changes or such a moment
passes). Saving a published record bumps the version whether or not it is public yet,
which records its new moment; `public_condition()` compares `publish_at` with the time,
and the rule above ("published, or was until this save") reads through it.

Conditional GET. A stored page carries `Last-Modified` (the version it was made under)
and an `ETag` (from its content), and every answer to an anonymous reader
`Cache-Control: no-cache` unless it says otherwise: a browser may keep the page, but asks
again before showing it. ConditionalGetMiddleware, outside this one, answers
If-None-Match and If-Modified-Since with 304, for hits as for misses. HTTP dates count
seconds, so a client that sends only If-Modified-Since may miss a second change made in
the same second as the first; browsers send the ETag too, which is compared first.

Where the cache is. With CACHE_REDIS_URL, pages and the version are in Redis (Django's
RedisCache), shared by every app server and worker. Without it, pages are in each
process's memory (LocMemCache) and the version in a file under var/ (the
"public_version" cache), which every process of the machine reads: the server's workers
and run_huey, whose imports must reach the server. Several machines need Redis. A Redis
that must evict should evict only keys with a timeout (`maxmemory-policy volatile-lru`):
the version has none, every page has one. A cache that fails is logged and the page is
served without it.

The last good copy. A page is fresh for PAGE_CACHE_SECONDS (the moment is in its entry),
and its entry is kept PAGE_CACHE_STALE_SECONDS longer: out of date (another version, or
past its freshness), it is still the last page this address gave anonymous readers. When
the database fails the request that would have made the page again, the reader is
answered with that copy rather than an error (foreignpolicy.database_away). The key does
not hold the version, so a change the public can see does not orphan the copy: the page
made under the new version replaces it. An answer made again but not stored (a 301, the
410 of a record withdrawn, a page that sets a cookie) forgets the copy, so that an outage
never brings back what the site has stopped showing; a server error keeps it. A page not
asked for since a change still has its copy from before: during an outage, the copies of
pages that show a record withdrawn since may show it again. Clearing the cache takes
every copy away.
"""

import hashlib
import logging
import time
from datetime import datetime, timedelta
from functools import cache

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Min
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, patch_cache_control, set_response_etag
from django.utils.http import http_date

from .database_away import DATABASE_ERRORS, Unavailable, unavailable
from .imports.diffing import PUBLISHED
from .models import Country, Record, Vocabulary, public_condition

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is in requirements.txt
    RedisError = OSError

logger = logging.getLogger(__name__)

STATE_KEY = "public-content"
# The shape of a page's entry, in its key: servers of two releases share Redis during a
# deploy, and each must read only the entries it wrote.
ENTRY_FORMAT = 2
STORED_STATUSES = {200, 404}
# The language is part of the key; the session's cookie keeps a request away from the cache.
STORED_VARY = {"accept-language", "cookie"}
UNCACHEABLE = {"private", "no-store", "no-cache"}
# Record kinds are the apps' Record models; every other model of these apps is a vocabulary.
CONTENT_APPS = {"directorates", "agreements", "events"}
CACHE_ERRORS = (OSError, RedisError)


def pages():
    return caches["default"]


def versions():
    # Pages may live in one process's memory; the version must be the same in all of them.
    return caches["public_version" if "public_version" in settings.CACHES else "default"]


def next_midnight(now):
    """The pages that show "today" (agreements in force, upcoming events) change at midnight."""
    return timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), datetime.min.time()))


def next_publication(now):
    """A published record scheduled for later (`publish_at`) appears at its moment: the
    earliest still to come, of any kind, in one query."""
    first, *others = [
        model._base_manager.filter(is_published=True, publish_at__gt=now)
        .order_by()
        .values("is_published")
        .annotate(moment=Min("publish_at"))
        .values_list("moment", flat=True)
        for model in apps.get_models()
        if issubclass(model, Record)
    ]
    return min(first.union(*others, all=True), default=None)


# Functions of the present moment giving the next moment (or None) after it at which what
# the public sees changes without a write.
SCHEDULES = [next_midnight, next_publication]


def now_ms():
    return int(time.time() * 1000)


def next_scheduled(now):
    moment = datetime.fromtimestamp(now / 1000, tz=timezone.get_current_timezone())
    moments = [found for schedule in SCHEDULES if (found := schedule(moment)) is not None]
    return int(min(moments).timestamp() * 1000) if moments else None


def save_state(version, now):
    state = (version, next_scheduled(now))
    versions().set(STATE_KEY, state, timeout=None)
    return state


def current_state(stored):
    """(version, next scheduled change) as stored, brought up to date."""
    now = now_ms()
    if stored is None:
        # Never set, or evicted: take everything as changed now.
        return save_state(now, now)
    version, next_change = stored
    if next_change is not None and now >= next_change:
        return save_state(max(next_change, version + 1), now)
    return stored


def bump():
    """A new version, later than the last, and by it every stored page is out of date."""
    stored = versions().get(STATE_KEY)
    now = now_ms()
    save_state(max(now, stored[0] + 1) if stored else now, now)


def bump_once(shared):
    """bump(), as a callback of the transaction's commit. Each change registers one, so that
    a savepoint rolled back takes its own away; the callbacks of one transaction share
    `shared`, and only the first to run bumps. (A callback holds some 300 bytes: an undo
    deleting 100,000 published records registers 30 MB of them, beside the records.)"""

    def callback():
        if shared["done"]:
            return
        shared["done"] = True
        try:
            bump()
        except CACHE_ERRORS:
            # The change is committed; its pages stay until PAGE_CACHE_SECONDS have passed.
            logger.error("The page cache's version cannot be bumped; pages may be out of date.", exc_info=True)

    callback.page_cache_shared = shared
    return callback


def public_content_changed(using=DEFAULT_DB_ALIAS):
    """What the public sees changed, or will when the current transaction commits: bump
    the version then (at once outside a transaction), once however many changes it holds."""
    connection = transaction.get_connection(using)
    last = connection.run_on_commit[-1][1] if connection.in_atomic_block and connection.run_on_commit else None
    shared = getattr(last, "page_cache_shared", None)
    if shared is None or shared["done"]:
        shared = {"done": False}
    transaction.on_commit(bump_once(shared), using=using)


def rows_written(rows, using=DEFAULT_DB_ALIAS):
    """For the import's write stage (and an undo's), which writes in bulk without signals:
    `rows` are the created and updated rows; those that are published, or whose
    publication changes, change what the public sees."""
    if any(row.instance.is_published or any(change[0] == PUBLISHED for change in row.changes) for row in rows):
        public_content_changed(using)


# Signals: what the admin, factories and Django's own saves change.


def record_saving(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    # A draft saved was perhaps published until now: returned to draft, it leaves the public pages.
    instance._page_cache_was_public = (
        not instance._state.adding
        and not instance.is_published
        and sender._base_manager.using(using).filter(public_condition(), pk=instance.pk).exists()
    )


def record_saved(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, **kwargs):
    if raw or instance.is_published or getattr(instance, "_page_cache_was_public", False):
        public_content_changed(using)


def record_deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if instance.is_published:
        public_content_changed(using)


def vocabulary_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    public_content_changed(using)


def is_visible(instance):
    return not isinstance(instance, Record) or instance.is_published


def links_changed(sender, instance, action, model, pk_set, using=DEFAULT_DB_ALIAS, **kwargs):
    """A link shows when both its ends do: a vocabulary entry, or a published record."""
    if action not in ("post_add", "post_remove", "post_clear") or not is_visible(instance):
        return
    # Cleared, pk_set is None: whatever the relation held.
    if pk_set is None or any_visible(model, pk_set, using):
        public_content_changed(using)


def any_visible(model, pks, using):
    if not pks or not issubclass(model, Record):
        return bool(pks)
    return model._base_manager.using(using).filter(public_condition(), pk__in=pks).exists()


def migrated(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    public_content_changed(using)


def is_vocabulary(model):
    return not model._meta.auto_created and (
        issubclass(model, (Vocabulary, Country)) or model._meta.app_label in CONTENT_APPS
    )


def connect_signals():
    """Listen to the models whose rows the public sees, each by name (a listener on every
    model would keep Django from deleting other models' rows in bulk)."""
    uid = "page_cache"
    for model in apps.get_models():
        if issubclass(model, Record):
            pre_save.connect(record_saving, sender=model, dispatch_uid=uid)
            post_save.connect(record_saved, sender=model, dispatch_uid=uid)
            post_delete.connect(record_deleted, sender=model, dispatch_uid=uid)
        elif is_vocabulary(model):
            post_save.connect(vocabulary_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(vocabulary_changed, sender=model, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            if issubclass(model, Record) or is_vocabulary(model):
                m2m_changed.connect(links_changed, sender=field.remote_field.through, dispatch_uid=uid)
    post_migrate.connect(migrated, dispatch_uid=uid)


# The middleware.


def may_use_cache(request):
    """Whether a request may be answered from the cache, or its answer stored."""
    return (
        request.method in ("GET", "HEAD")
        and settings.PAGE_CACHE_SECONDS > 0
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
        and not request.path_info.startswith(admin_prefix())
    )


@cache
def admin_prefix():
    return reverse("admin:index")


def page_key(request):
    language = translation.get_language_from_request(request, check_path=True)
    address = hashlib.md5(request.build_absolute_uri().encode(), usedforsecurity=False).hexdigest()
    return f"page:{ENTRY_FORMAT}:{language}:{address}", language


def may_store(request, response, language):
    cache_control = {part.split("=")[0].strip().lower() for part in header_values(response, "Cache-Control")}
    vary = {part.strip().lower() for part in header_values(response, "Vary")}
    return (
        response.status_code in STORED_STATUSES
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not cache_control & UNCACHEABLE
        and vary <= STORED_VARY
        and response.get("Content-Language", language) == language
    )


def header_values(response, name):
    return [part for part in cc_delim_re.split(response.get(name, "")) if part.strip()]


def read(key):
    """(the state as stored, the stored page or None), in one round trip when pages and the
    version share a cache."""
    if versions() is pages():
        found = pages().get_many([STATE_KEY, key])
        return found.get(STATE_KEY), found.get(key)
    return versions().get(STATE_KEY), pages().get(key)


def is_fresh(entry, version):
    return entry is not None and entry[0] == version and now_ms() < entry[1]


def cached(entry):
    _version, _fresh_until, status, headers, content = entry
    return HttpResponse(content, status=status, headers=headers)


class PageCacheMiddleware:
    """Answers anonymous readers from the cache (see the module's docstring). Place it after
    ConditionalGetMiddleware, which answers 304, and before the session's middleware,
    which a hit does not need."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not may_use_cache(request):
            return self.get_response(request)
        key, language = page_key(request)
        try:
            stored_state, entry = read(key)
            version, _next_change = current_state(stored_state)
        except CACHE_ERRORS:
            logger.warning("The page cache cannot be read; the page is made without it.", exc_info=True)
            return self.get_response(request)
        except DATABASE_ERRORS as error:
            # Bringing the version up to date asks the database for the next scheduled change.
            return cached(entry) if entry is not None else unavailable(request, error)
        if is_fresh(entry, version):
            return cached(entry)
        response = self.get_response(request)
        if isinstance(response, Unavailable):
            return cached(entry) if entry is not None else response
        stored = may_store(request, response, language)
        if not response.has_header("Cache-Control"):
            # Browsers and proxies may keep a page but must ask again before showing it (a
            # 304 when it is unchanged): without this, they guess how long a page stays
            # fresh from its Last-Modified, and would show it past its change.
            patch_cache_control(response, no_cache=True)
        if stored:
            response.headers["Last-Modified"] = http_date(version / 1000)
            if not response.has_header("ETag"):
                set_response_etag(response)
            if request.method == "GET":
                fresh_until = now_ms() + settings.PAGE_CACHE_SECONDS * 1000
                self.store(key, (version, fresh_until, response.status_code, dict(response.items()), response.content))
        elif entry is not None and response.status_code < 500:
            self.forget(key)
        return response

    def store(self, key, entry):
        try:
            pages().set(key, entry, settings.PAGE_CACHE_SECONDS + settings.PAGE_CACHE_STALE_SECONDS)
        except CACHE_ERRORS:
            logger.warning("The page cache cannot be written.", exc_info=True)

    def forget(self, key):
        try:
            pages().delete(key)
        except CACHE_ERRORS:
            logger.warning("The page cache cannot be written.", exc_info=True)
