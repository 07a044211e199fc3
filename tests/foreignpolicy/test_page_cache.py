"""The page cache: an anonymous reader's second request is answered without a query, and
every change the public can see (and only those) makes the next request show it.

Tests run inside one transaction that never commits, so a change that should reach the
cache is made inside `committed()`, which runs what the commit would run."""

import datetime

import pytest
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import http_date, parse_http_date

from agreements.models import Agreement, AgreementStatus
from foreignpolicy import page_cache
from foreignpolicy.imports.undo import undo_import
from foreignpolicy.models import Country, Topic
from foreignpolicy.registry import resource_for_model
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory, StaffFactory
from tests.helpers import csv_text, problems, url

pytestmark = pytest.mark.django_db

PAGES = [
    ("home", {}),
    ("agreements:list", {}),
    ("agreements:in_force", {}),
    ("agreements:detail", {"slug": "cached-agreement"}),
    ("directorates:list", {}),
    ("events:list", {}),
    ("events:atom", {}),
    ("events:calendar", {}),
    ("topics:list", {}),
    ("search", {}),
]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """What a commit runs, run at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def records():
    return {
        "agreement": AgreementFactory(slug="cached-agreement", title_en="Cached agreement"),
        "draft": AgreementFactory(slug="draft-agreement", title_en="Draft agreement", is_published=False),
        "directorate": DirectorateFactory(name_en="Cached directorate"),
        "event": EventFactory(title_en="Cached event"),
    }


def version():
    state = page_cache.versions().get(page_cache.STATE_KEY)
    return state and state[0]


def text(response):
    return response.content.decode()


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_second_anonymous_request_is_answered_from_the_cache_without_a_query_or_a_template(
    client, records, django_assert_num_queries, name, kwargs
):
    address = url(name, **kwargs) + ("?q=cached" if name == "search" else "")
    first = client.get(address)
    assert first.status_code == 200 and first.has_header("Last-Modified")
    with django_assert_num_queries(0):
        second = client.get(address)
    assert second.templates == []
    assert (second.status_code, second.content) == (first.status_code, first.content)
    for header in ("Content-Type", "ETag", "Last-Modified", "Content-Language"):
        assert second.get(header) == first.get(header), header


@override_settings(PAGE_CACHE_SECONDS=0)
def test_page_cache_seconds_0_turns_the_cache_off(client, records):
    client.get(url("agreements:list"))
    second = client.get(url("agreements:list"))
    assert second.templates and not second.has_header("Last-Modified")


@pytest.mark.parametrize("address", ["/sitemap.xml", "/sitemap-agreements.xml", "/robots.txt"])
def test_the_sitemap_and_robots_txt_are_cached_too(client, records, django_assert_num_queries, address):
    first = client.get(address)
    with django_assert_num_queries(0):
        assert client.get(address).content == first.content


def test_a_head_request_is_answered_from_the_page_a_get_stored(client, records, django_assert_num_queries):
    first = client.get(url("agreements:list"))
    with django_assert_num_queries(0):
        head = client.head(url("agreements:list"))
    assert head.status_code == 200 and head["ETag"] == first["ETag"]


def test_a_draft_answers_404_from_the_cache_until_it_is_published(
    client, records, committed, django_assert_num_queries
):
    address = url("agreements:detail", slug="draft-agreement")
    assert client.get(address).status_code == 404
    with django_assert_num_queries(0):
        assert client.get(address).status_code == 404
    with committed():
        records["draft"].is_published = True
        records["draft"].save()
    assert "Draft agreement" in text(client.get(address))


def test_publishing_a_record_shows_it_on_the_next_request(client, records, committed):
    assert "Draft agreement" not in text(client.get(url("agreements:list")))
    with committed():
        records["draft"].is_published = True
        records["draft"].save()
    assert "Draft agreement" in text(client.get(url("agreements:list")))


def test_returning_a_record_to_draft_takes_it_off_the_next_request(client, records, committed):
    assert client.get(url("agreements:detail", slug="cached-agreement")).status_code == 200
    assert "Cached agreement" in text(client.get(url("agreements:list")))
    with committed():
        records["agreement"].is_published = False
        records["agreement"].save()
    # Withdrawn: its address says so (test_addresses.py).
    assert client.get(url("agreements:detail", slug="cached-agreement")).status_code == 410
    assert "Cached agreement" not in text(client.get(url("agreements:list")))


def test_editing_a_published_record_shows_the_edit_on_the_next_request(client, records, committed):
    assert "Cached directorate" in text(client.get(url("directorates:list")))
    with committed():
        records["directorate"].name_en = "Renamed directorate"
        records["directorate"].save()
    assert "Renamed directorate" in text(client.get(url("directorates:list")))


def test_deleting_a_published_record_takes_it_off_the_next_request(client, records, committed):
    assert "Cached event" in text(client.get(url("events:list")))
    with committed():
        records["event"].delete()
    assert "Cached event" not in text(client.get(url("events:list")))


def test_editing_creating_or_deleting_a_draft_changes_no_version(client, records, committed, django_assert_num_queries):
    client.get(url("agreements:list"))
    before = version()
    with committed():
        records["draft"].title_en = "Draft, edited"
        records["draft"].save()
        records["draft"].countries.add(Country.objects.get(code="CL"))
        Topic.objects.get(slug="trade").agreements.add(records["draft"])
        AgreementFactory(is_published=False).delete()
    assert version() == before
    with django_assert_num_queries(0):
        client.get(url("agreements:list"))


def test_a_link_added_to_a_published_record_shows_on_the_next_request(client, records, committed):
    address = url("agreements:detail", slug="cached-agreement")
    assert "Chile" not in text(client.get(address))
    with committed():
        records["agreement"].countries.add(Country.objects.get(code="CL"))
    assert "Chile" in text(client.get(address))
    with committed():
        Country.objects.get(code="CL").agreements.clear()
    assert "Chile" not in text(client.get(address))


def test_renaming_a_vocabulary_entry_shows_on_the_next_request(client, records, committed):
    assert "In force" in text(client.get(url("home")))
    with committed():
        status = AgreementStatus.objects.get(code="in_force")
        status.name_en = "Currently in force"
        status.save()
    assert "Currently in force" in text(client.get(url("home")))


def test_a_topic_renamed_in_the_admin_shows_on_the_next_request(client, admin_client, records, committed):
    topic = Topic.objects.get(slug="trade")
    assert topic.name_en in text(client.get(url("topics:list")))
    with committed():
        response = admin_client.post(
            reverse("admin:foreignpolicy_topic_change", args=[topic.pk]),
            {"name_en": "Trade, renamed", "name_es": topic.name_es, "slug": topic.slug, "position": topic.position},
        )
    assert response.status_code == 302
    assert "Trade, renamed" in text(client.get(url("topics:list")))


def test_the_admins_bulk_publish_and_unpublish_show_on_the_next_request(client, admin_client, records, committed):
    changelist = reverse("admin:agreements_agreement_changelist")
    assert "Draft agreement" not in text(client.get(url("agreements:list")))
    with committed():
        admin_client.post(changelist, {"action": "publish", "_selected_action": [records["draft"].pk]})
    assert "Draft agreement" in text(client.get(url("agreements:list")))
    with committed():
        admin_client.post(changelist, {"action": "unpublish", "_selected_action": [records["draft"].pk]})
    assert "Draft agreement" not in text(client.get(url("agreements:list")))


IMPORTED = csv_text(
    "slug,title_en,type,status,published",
    "imported-agreement,Imported agreement,acuerdo marco,signed,yes",
    "cached-agreement,Cached agreement (imported),acuerdo marco,signed,yes",
)


def test_an_import_and_its_undo_show_on_the_next_request(client, records, committed, import_csv, admin_user):
    assert "Imported agreement" not in text(client.get(url("agreements:list")))
    with committed():
        imported = import_csv("agreements", IMPORTED)
    assert problems(imported) == []
    page = text(client.get(url("agreements:list")))
    assert "Imported agreement" in page and "Cached agreement (imported)" in page
    with committed():
        undone = undo_import(imported.record, admin_user, resource_for_model(Agreement))
    assert problems(undone) == []
    page = text(client.get(url("agreements:list")))
    assert "Imported agreement" not in page and "Cached agreement (imported)" not in page
    assert "Cached agreement" in page


def test_an_import_of_drafts_only_changes_no_version(client, records, committed, import_csv):
    client.get(url("agreements:list"))
    before = version()
    with committed():
        imported = import_csv(
            "agreements",
            csv_text("slug,title_en,type,status,published", "draft-agreement,Still a draft,acuerdo marco,signed,no"),
        )
    assert problems(imported) == [] and imported.totals["update"] == 1
    assert version() == before


def test_an_import_that_returns_a_record_to_draft_takes_it_off_the_next_request(client, records, committed, import_csv):
    assert "Cached agreement" in text(client.get(url("agreements:list")))
    with committed():
        import_csv("agreements", csv_text("slug,published", "cached-agreement,no"))
    assert "Cached agreement" not in text(client.get(url("agreements:list")))


def test_a_dry_run_and_a_refused_import_change_no_version(client, records, committed, import_csv):
    client.get(url("agreements:list"))
    before = version()
    with committed():
        import_csv("agreements", IMPORTED, dry_run=True)
        refused = import_csv("agreements", csv_text("slug,title_en,type,status", "bad,Bad,no-such-type,signed"))
    assert problems(refused)
    assert version() == before


def test_a_change_rolled_back_changes_no_version(client, records, committed, django_assert_num_queries):
    client.get(url("agreements:list"))
    before = version()
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        records["agreement"].title_en = "Never committed"
        records["agreement"].save()
        records["draft"].is_published = True
        records["draft"].save()
        raise RuntimeError
    assert version() == before
    with django_assert_num_queries(0):
        assert "Never committed" not in text(client.get(url("agreements:list")))


def test_a_savepoint_rolled_back_inside_a_committed_change_still_bumps_for_the_rest(client, records, committed):
    client.get(url("agreements:list"))
    with committed(), transaction.atomic():
        records["directorate"].name_en = "Kept"
        records["directorate"].save()
        try:
            with transaction.atomic():
                records["event"].title_en = "Rolled back"
                records["event"].save()
                raise RuntimeError
        except RuntimeError:
            pass
    assert "Kept" in text(client.get(url("directorates:list")))


def test_one_transaction_of_many_changes_bumps_once(records, committed, monkeypatch):
    bumps = []
    monkeypatch.setattr(page_cache, "bump", lambda: bumps.append(1))
    with committed(), transaction.atomic():
        for number in range(5):
            AgreementFactory(title_en=f"Agreement {number}")
        records["agreement"].delete()
    assert bumps == [1]


def staff_client(*permissions):
    client = Client()
    client.force_login(StaffFactory(permissions=list(permissions)))
    return client


def test_a_staff_preview_of_a_draft_is_neither_stored_nor_served_to_anyone_else(client, records):
    staff = staff_client("agreements.view_agreement")
    address = url("agreements:detail", slug="draft-agreement")
    preview = staff.get(address)
    assert preview.status_code == 200 and "Draft agreement" in text(preview)
    assert "private" in preview["Cache-Control"] and not preview.has_header("Last-Modified")
    assert client.get(address).status_code == 404
    assert staff.get(address).templates  # made again, not read from the cache
    assert client.get(address).status_code == 404


def test_a_page_made_for_staff_is_not_stored_and_staff_are_never_answered_from_the_cache(
    client, records, django_assert_num_queries
):
    staff = staff_client("agreements.view_agreement")
    address = url("agreements:detail", slug="cached-agreement")
    staff.get(address)
    assert client.get(address).templates  # nothing was stored for the public
    with django_assert_num_queries(0):
        client.get(address)
    assert staff.get(address).templates  # the staff member's request is made again


def test_the_languages_are_cached_apart(client, records):
    english = client.get(url("home", language="en"))
    spanish = client.get(url("home", language="es"))
    assert english["Content-Language"] == "en" and spanish["Content-Language"] == "es"
    assert client.get(url("home", language="es")).content == spanish.content
    assert client.get(url("home", language="en")).content == english.content
    assert english.content != spanish.content


def test_an_address_without_a_language_is_cached_apart_for_each_language_browsers_ask_for(client, records):
    english = client.get("/robots.txt", headers={"accept-language": "en"})
    spanish = client.get("/robots.txt", headers={"accept-language": "es"})
    assert spanish.templates  # not the English one, from the cache
    assert (english["Content-Language"], spanish["Content-Language"]) == ("en", "es")
    assert not client.get("/robots.txt", headers={"accept-language": "es"}).templates


def test_other_hosts_are_cached_apart(client, records):
    with override_settings(ALLOWED_HOSTS=["testserver", "other.example"]):
        client.get("/robots.txt")
        other = client.get("/robots.txt", headers={"host": "other.example"})
    assert "other.example" in text(other)


def test_a_cache_hit_answers_304_to_its_etag_and_to_its_date(client, records, django_assert_num_queries):
    first = client.get(url("agreements:list"))
    with django_assert_num_queries(0):
        by_etag = client.get(url("agreements:list"), headers={"if-none-match": first["ETag"]})
        by_date = client.get(url("agreements:list"), headers={"if-modified-since": first["Last-Modified"]})
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")


def test_a_page_changed_since_the_date_a_client_holds_is_sent_again(client, records, committed, monkeypatch):
    first = client.get(url("agreements:list"))
    later = page_cache.now_ms() + 5000
    monkeypatch.setattr(page_cache, "now_ms", lambda: later)
    with committed():
        AgreementFactory(title_en="A new agreement")
    again = client.get(url("agreements:list"), headers={"if-modified-since": first["Last-Modified"]})
    assert again.status_code == 200 and "A new agreement" in text(again)
    assert again["Last-Modified"] == http_date(later / 1000)
    assert parse_http_date(again["Last-Modified"]) > parse_http_date(first["Last-Modified"])


def test_last_modified_is_when_the_public_content_last_changed(client, records, committed):
    with committed():
        records["agreement"].save()
    assert client.get(url("home"))["Last-Modified"] == http_date(version() / 1000)


def test_downloads_stream_and_are_not_cached(client, records):
    address = url("agreements:download", format="csv")
    assert client.get(address).streaming
    again = client.get(address)
    assert again.streaming and not again.has_header("Last-Modified")
    assert b"cached-agreement" in b"".join(again.streaming_content)


def test_the_admin_is_never_cached(client):
    client.get(reverse("admin:login"))
    assert client.get(reverse("admin:login")).templates


def test_a_scheduled_moment_passed_makes_every_stored_page_a_miss(client, records, monkeypatch):
    first = client.get(url("agreements:in_force"))
    version_before, next_change = page_cache.versions().get(page_cache.STATE_KEY)
    assert next_change > page_cache.now_ms()  # the next midnight
    monkeypatch.setattr(page_cache, "now_ms", lambda: next_change + 1)
    again = client.get(url("agreements:in_force"))
    assert again.templates  # made again
    assert version() == next_change
    assert parse_http_date(again["Last-Modified"]) > parse_http_date(first["Last-Modified"])


def test_the_next_scheduled_moment_is_the_earliest_any_schedule_gives(monkeypatch):
    soon = datetime.datetime(2030, 1, 1, 12, tzinfo=datetime.UTC)
    monkeypatch.setattr(page_cache, "SCHEDULES", [page_cache.next_midnight, lambda now: soon, lambda now: None])
    now = int(datetime.datetime(2030, 1, 1, 8, tzinfo=datetime.UTC).timestamp() * 1000)
    assert page_cache.next_scheduled(now) == int(soon.timestamp() * 1000)


def test_the_day_changes_at_midnight_in_lima():
    now = datetime.datetime(2030, 1, 1, 3, tzinfo=datetime.UTC)  # 22:00 on 31 December in Lima
    assert page_cache.next_midnight(now).isoformat() == "2030-01-01T00:00:00-05:00"


@pytest.mark.parametrize(
    ("response", "stored"),
    [
        (HttpResponse("page"), True),
        (HttpResponse("missing", status=404), True),
        (HttpResponse("moved", status=301), False),
        (HttpResponse("failed", status=500), False),
        (StreamingHttpResponse(iter([b"rows"])), False),
        (HttpResponse("page", headers={"Cache-Control": "private"}), False),
        (HttpResponse("page", headers={"Cache-Control": "no-store"}), False),
        (HttpResponse("page", headers={"Vary": "Accept-Language, Cookie"}), True),
        (HttpResponse("page", headers={"Vary": "Accept-Encoding"}), False),
        (HttpResponse("page", headers={"Content-Language": "es"}), False),
    ],
)
def test_which_responses_are_stored(rf, response, stored):
    assert page_cache.may_store(rf.get("/en/"), response, "en") is stored


def test_a_response_setting_a_cookie_or_using_a_csrf_token_is_not_stored(rf):
    with_cookie = HttpResponse("page")
    with_cookie.set_cookie("csrftoken", "secret")
    assert not page_cache.may_store(rf.get("/en/"), with_cookie, "en")
    request = rf.get("/en/")
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    assert not page_cache.may_store(request, HttpResponse("page"), "en")


@pytest.mark.parametrize(
    ("method", "headers", "path", "usable"),
    [
        ("get", {}, "/en/", True),
        ("head", {}, "/en/", True),
        ("post", {}, "/en/", False),
        ("get", {"cookie": "sessionid=abc"}, "/en/", False),
        ("get", {"cookie": "csrftoken=abc; django_language=es"}, "/en/", True),
        ("get", {"authorization": "Basic YTpi"}, "/en/", False),
        ("get", {}, "/admin/", False),
        ("get", {}, "/admin/login/", False),
    ],
)
def test_which_requests_may_use_the_cache(rf, method, headers, path, usable):
    request = getattr(rf, method)(path, headers=headers)
    assert page_cache.may_use_cache(request) is usable


def test_without_redis_the_version_is_in_a_file_every_process_reads(client, records, committed, tmp_path):
    shared = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages-of-one-process"},
        "public_version": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "page-cache"),
        },
    }
    with override_settings(CACHES=shared):
        assert "Cached agreement" in text(client.get(url("agreements:list")))
        assert page_cache.versions() is not page_cache.pages()
        assert list((tmp_path / "page-cache").iterdir())
        # Another process (the worker) changes a record: it bumps the file's version,
        # which this process's pages are checked against.
        caches["public_version"].set(page_cache.STATE_KEY, (version() - 1, None), timeout=None)
        assert client.get(url("agreements:list")).templates
        with committed():
            records["agreement"].title_en = "Renamed by the worker"
            records["agreement"].save()
        assert "Renamed by the worker" in text(client.get(url("agreements:list")))
        caches["default"].clear()
        caches["public_version"].clear()


REDIS = "django.core.cache.backends.redis.RedisCache"


def test_a_cache_that_does_not_answer_is_passed_by(client, records, committed):
    with override_settings(CACHES={"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0"}}):
        assert "Cached agreement" in text(client.get(url("agreements:list")))
        with committed():  # the bump fails, and is logged
            records["agreement"].title_en = "Renamed"
            records["agreement"].save()
        assert "Renamed" in text(client.get(url("agreements:list")))


def test_in_redis_a_hit_is_one_round_trip_and_no_query(client, records, committed, django_assert_num_queries):
    location = "redis://127.0.0.1:6379/5"
    with override_settings(CACHES={"default": {"BACKEND": REDIS, "LOCATION": location}}):
        try:
            caches["default"].clear()
        except page_cache.CACHE_ERRORS:
            pytest.skip("no Redis at " + location)
        first = client.get(url("agreements:list"))
        with django_assert_num_queries(0):
            assert client.get(url("agreements:list")).content == first.content
        with committed():
            records["agreement"].title_en = "Renamed in Redis"
            records["agreement"].save()
        assert "Renamed in Redis" in text(client.get(url("agreements:list")))
        caches["default"].clear()


def test_a_draft_added_to_a_published_event_changes_what_the_event_shows_only_when_published(
    client, records, committed
):
    event = records["event"]
    address = url("events:detail", slug=event.slug)
    with committed():
        event.agreements.add(records["draft"])
    assert "Draft agreement" not in text(client.get(address))
    with committed():
        records["draft"].is_published = True
        records["draft"].save()
    assert "Draft agreement" in text(client.get(address))


def test_browsers_must_ask_again_before_showing_a_page_they_kept(client, records):
    """Without it a browser guesses a page's freshness from its Last-Modified, and shows it
    past its change (found by tests/browser/test_editorial.py)."""
    address = url("agreements:detail", slug="cached-agreement")
    made, hit = client.get(address), client.get(address)
    assert made["Cache-Control"] == hit["Cache-Control"] == "no-cache"
    assert client.get(url("agreements:detail", slug="no-such-record"))["Cache-Control"] == "no-cache"
