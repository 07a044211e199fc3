"""No query string answers a server error. Every parameter a public address reads is read
by a form; a value in error answers 400, with a message naming the parameter, and nothing
listed or sent (docs/security.md, "Query strings").

The property tests ask every public address, in both languages, for queries made of the
parameters it reads, each given a valid value, a value it must refuse or arbitrary text or
bytes, with keys repeated and keys it does not read among them. They are derandomized: the
same examples on every run, on SQLite as on PostgreSQL. QUERY_STRING_EXAMPLES=1000 asks for
more of them (the default keeps the module well under a minute).
"""

import calendar
import html
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote_from_bytes

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.filters import AgreementFilter
from agreements.models import Participant
from agreements.views import InForceForm
from events.filters import EventFilter
from events.views import YearForm
from foreignpolicy.filters import FIRST_YEAR, LAST_YEAR
from foreignpolicy.models import Country, Topic
from foreignpolicy.public import PageForm
from foreignpolicy.search import SEARCH_MAX_LENGTH
from pages.sitemaps import SITEMAPS
from pages.views import SearchForm
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db

# Examples per parameter of each address (per address for those that read none).
EXAMPLES = int(os.environ.get("QUERY_STRING_EXAMPLES", "5"))
QUERIES = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # The records are made once for the module (world()), and only read by the examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LANGUAGES = st.sampled_from(["es", "en"])
YEAR_FILTERS = ["signed_from", "signed_to", "in_force_from", "in_force_to"]
REPORTED_YEARS = ["0", "-1", "10000", "9" * 20]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A little of everything a filter can name: published records and drafts, and a
    directorate and an agreement renamed, whose old slugs lead to the new ones (301).
    Made once for the module, in a transaction its tests' own ones are savepoints of,
    rolled back after the last."""
    with django_db_blocker.unblock(), transaction.atomic():
        unit = DirectorateFactory(slug="dae-before")
        unit.slug = "dae"
        unit.save()
        DirectorateFactory(slug="secret-unit", is_published=False)
        treaty = AgreementFactory(slug="pe-cl-before", directorate=unit, in_force_on=date(2009, 3, 1))
        treaty.slug = "pe-cl"
        treaty.save()
        treaty.countries.add(Country.objects.get(code="CL"))
        treaty.topics.add(Topic.objects.get(slug="trade"))
        secret = AgreementFactory(slug="secret-treaty", is_published=False)
        secret.countries.add(Country.objects.get(code="JP"))
        Participant.objects.create(
            agreement=treaty, country=Country.objects.get(code="CL"), consent_on=date(2008, 1, 1)
        )
        Participant.objects.create(
            agreement=secret, country=Country.objects.get(code="JP"), consent_on=date(2008, 1, 1)
        )
        summit = EventFactory(slug="summit", date=date(2018, 4, 13))
        summit.countries.add(Country.objects.get(code="CL"))
        summit.agreements.add(treaty)
        summit.directorates.add(unit)
        EventFactory(slug="upcoming", date=date.today() + timedelta(days=30))
        yield
        transaction.set_rollback(True)


# What each parameter accepts.


@dataclass
class Parameter:
    """A parameter of a query: `valid` values it takes, `invalid` ones it must refuse,
    `accepts(value)` for whether it takes any other value (None: not told here), and
    `renamed`, old slugs it answers with a 301 to the new one."""

    name: str
    label: object
    valid: st.SearchStrategy
    invalid: st.SearchStrategy
    accepts: object = None
    renamed: tuple = field(default_factory=tuple)


UNKNOWN_VALUES = ["nonexistent", "\x00", "a\x00b", "x" * 500, " ", "%00", "ñandú", "💥"]


def year(name, label):
    return Parameter(
        name,
        label,
        valid=st.integers(FIRST_YEAR, LAST_YEAR).map(str) | st.just(""),
        invalid=st.integers(max_value=FIRST_YEAR - 1).map(str)
        | st.integers(min_value=LAST_YEAR + 1, max_value=10**40).map(str)
        | st.sampled_from(["1e5", "2000.5", "NaN", "Infinity", "9" * 5000, "20\x0020", "MMXX"])
        | st.from_regex(r"[a-z]+", fullmatch=True),
    )


def days_past_their_month():
    """2021-02-29, 2020-04-31: a month of fewer than 31 days, and a day after its last."""

    def past(year, month):
        last = calendar.monthrange(year, month)[1]
        return st.integers(last + 1, 31).map(lambda day: f"{year:04d}-{month:02d}-{day:02d}")

    return st.tuples(st.integers(FIRST_YEAR, LAST_YEAR), st.sampled_from([2, 4, 6, 9, 11])).flatmap(
        lambda year_month: past(*year_month)
    )


def day(name, label):
    return Parameter(
        name,
        label,
        valid=st.dates().map(date.isoformat) | st.just(""),
        invalid=st.sampled_from(["0000-01-01", "2020-02-30", "2020-13-01", "10000-01-01", "-2020-01-01", "tomorrow"])
        | days_past_their_month()
        | st.dates().map(lambda day: f"{day.isoformat()}\x00"),
    )


def choice(name, label, offered, renamed=()):
    """One of the options a form offers (or nothing); any other value is refused."""
    offered = sorted(offered)
    return Parameter(
        name,
        label,
        valid=st.sampled_from(["", *offered]),
        invalid=st.sampled_from(UNKNOWN_VALUES) | st.text(min_size=1).filter(lambda value: value not in offered),
        accepts=lambda value: value in ("", *offered),
        renamed=tuple(renamed),
    )


def typed_slug(name, label, slugs, renamed=()):
    """A record's slug typed in: spaces around it do not count."""
    return Parameter(
        name,
        label,
        valid=st.builds(
            lambda before, slug, after: f"{before}{slug}{after}",
            st.sampled_from(["", " "]),
            st.sampled_from(slugs),
            st.sampled_from(["", "\t"]),
        ),
        invalid=st.sampled_from(UNKNOWN_VALUES)
        | st.text(min_size=1).filter(lambda value: value.strip() not in ("", *slugs)),
        accepts=lambda value: value.strip() in ("", *slugs),
        renamed=tuple(renamed),
    )


def orderings(name, label, offered):
    """Orderings separated by commas, the first known one applying."""
    offered = sorted(offered)

    def accepts(value):
        return all(part in ("", *offered) for part in value.split(","))

    return Parameter(
        name,
        label,
        valid=st.lists(st.sampled_from(offered), max_size=3).map(",".join),
        invalid=st.sampled_from(UNKNOWN_VALUES) | st.text(min_size=1).filter(lambda value: not accepts(value)),
        accepts=accepts,
    )


def words(name, label):
    def accepts(value):
        return "\x00" not in value and len(value.strip()) <= SEARCH_MAX_LENGTH

    return Parameter(
        name,
        label,
        valid=st.text(max_size=60).filter(accepts) | st.just("x " * (SEARCH_MAX_LENGTH // 2)),
        invalid=st.text(max_size=20).map(lambda text: "x" * (SEARCH_MAX_LENGTH + 1) + text)
        | st.tuples(st.text(max_size=10), st.text(max_size=10)).map("\x00".join),
        accepts=accepts,
    )


def page():
    return Parameter(
        "page",
        PageForm.base_fields["page"].label,
        # A page past the last is the last.
        valid=st.integers(1, 10**30).map(str) | st.just(""),
        invalid=st.integers(max_value=0).map(str)
        | st.sampled_from(["1.5", "last", "9" * 5000, "2\x00"])
        | st.from_regex(r"[a-z]+", fullmatch=True),
    )


def options(filterset_class, name):
    """The values a filter's form offers: its options, or the slugs of its records."""
    return options_of(filterset_class().form.fields[name])


def options_of(form_field):
    if hasattr(form_field, "to_field_name"):
        return list(form_field.queryset.values_list(form_field.to_field_name, flat=True))
    offered = []
    for key, label in form_field.choices:
        # Grouped options (<optgroup>) hold their own pairs; the empty option is no value.
        offered += [option for option, _text in label] if isinstance(label, (list, tuple)) else [key]
    return [option for option in offered if option]


def filter_parameters(filterset_class):
    """The parameters of a FilterSet, with the options it offers for the records of world()."""
    filters = filterset_class.base_filters
    label = {name: filters[name].label for name in filters}
    parameters = {
        "q": words("q", label["q"]),
        "type": choice("type", label["type"], options(filterset_class, "type")),
        "party": choice("party", label["party"], options(filterset_class, "party")),
        "directorate": choice(
            "directorate", label["directorate"], options(filterset_class, "directorate"), renamed=["dae-before"]
        ),
        "topic": choice("topic", label["topic"], options(filterset_class, "topic")),
    }
    if filterset_class is AgreementFilter:
        parameters.update(
            status=choice("status", label["status"], options(filterset_class, "status")),
            bound_party=choice("bound_party", label["bound_party"], options(filterset_class, "bound_party")),
            ordering=orderings(
                "ordering", label["ordering"], [key for key, _label in filters["ordering"].extra["choices"]]
            ),
            **{name: year(name, label[name]) for name in YEAR_FILTERS},
        )
    else:
        slugs = list(filters["agreement"].extra["queryset"].values_list("slug", flat=True))
        parameters.update(
            agreement=typed_slug("agreement", label["agreement"], slugs, renamed=["pe-cl-before"]),
            date_from=day("date_from", label["date_from"]),
            date_to=day("date_to", label["date_to"]),
        )
    return parameters


# The addresses whose query is read, the arguments each is asked with, and the parameters it reads.
READS = {
    "agreements:list": ([{}], [*AgreementFilter.base_filters, "page"]),
    "agreements:download": ([{"format": "csv"}, {"format": "json"}], [*AgreementFilter.base_filters]),
    "agreements:download_steps": ([{"format": "csv"}, {"format": "json"}], [*AgreementFilter.base_filters]),
    "agreements:download_participants": ([{"format": "json"}], [*AgreementFilter.base_filters]),
    "agreements:in_force": ([{}], ["on", "party", "page"]),
    "events:list": ([{}], [*EventFilter.base_filters, "year", "page"]),
    "events:atom": ([{}], [*EventFilter.base_filters]),
    "events:calendar": ([{}], [*EventFilter.base_filters]),
    "events:download": ([{"format": "csv"}, {"format": "json"}], [*EventFilter.base_filters]),
    "search": ([{}], ["q"]),
}


def parameters_of(name):
    """Every parameter the address named `name` reads."""
    parameters = {
        "page": page(),
        "year": year("year", YearForm.base_fields["year"].label),
        "on": day("on", InForceForm.base_fields["on"].label),
        "party": choice("party", InForceForm.base_fields["party"].label, options_of(InForceForm().fields["party"])),
    }
    if name == "search":
        parameters["q"] = words("q", SearchForm.base_fields["q"].label)
    elif name != "agreements:in_force":
        parameters.update(filter_parameters(EventFilter if name.startswith("events:") else AgreementFilter))
    return [parameters[parameter] for parameter in READS[name][1]]


# Queries, and what they must be answered.


def as_bytes(value):
    return value if isinstance(value, bytes) else value.encode()


def read(value):
    """A value as Django reads it from the query string."""
    return as_bytes(value).decode(errors="replace")


def valued(parameter):
    """(value, verdict): True when the parameter takes the value, False when it must
    refuse it, None when this test does not know. Refused values come first: they are
    what the test is for."""
    return st.one_of(
        parameter.invalid.map(lambda value: (value, False)),
        parameter.valid.map(lambda value: (value, True)),
        ANYTHING.map(lambda value: (value, parameter.accepts(read(value)) if parameter.accepts else None)),
    )


ANYTHING = st.text(max_size=30) | st.binary(max_size=12)


def pairs(parameters):
    """(key, value, verdict) of a query: the parameters' values, and keys none reads."""
    names = {parameter.name for parameter in parameters}
    others = (st.text(max_size=8) | st.binary(max_size=8)).filter(lambda key: read(key) not in names)
    return st.lists(
        st.one_of(
            st.tuples(others, ANYTHING, st.none()),
            *(valued(parameter).map(lambda pair, name=parameter.name: (name, *pair)) for parameter in parameters),
        ),
        max_size=5,
    )


def encoded(query):
    return "&".join(
        f"{quote_from_bytes(as_bytes(key), safe='')}={quote_from_bytes(as_bytes(value), safe='')}"
        for key, value, _ in query
    )


@dataclass
class Expected:
    statuses: set
    # The labels the answer's message must name: those of the values in error.
    named: list


def expected(parameters, query):
    by_name = {parameter.name: parameter for parameter in parameters}
    # Django reads the last of repeated keys.
    last = {read(key): (read(value), verdict) for key, value, verdict in query if read(key) in by_name}
    if any(value in by_name[name].renamed for name, (value, _verdict) in last.items()):
        return Expected({301}, [])
    refused = [name for name, (_value, verdict) in last.items() if verdict is False]
    if refused:
        return Expected({400}, [by_name[name].label for name in refused])
    if any(verdict is None for _value, verdict in last.values()):
        return Expected({200, 400}, [])
    return Expected({200}, [])


def answer(client, address, query_string):
    response = client.get(address, QUERY_STRING=query_string)
    # A download is read as it is sent: its errors would come while streaming.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode(errors="replace")


def error_summary(body):
    found = re.search(r'<div class="query-errors".*?</div>', body, re.DOTALL)
    return html.unescape(found.group()) if found else ""


def check(client, name, kwargs, language, parameters, query):
    address = url(name, language, **kwargs)
    response, body = answer(client, address, encoded(query))
    wanted = expected(parameters, query)
    assert response.status_code in wanted.statuses, (address, encoded(query), body[:2000])
    if response.status_code == 400:
        summary = error_summary(body)
        with translation.override(language):
            for label in wanted.named:
                assert f"{label}: " in summary, (label, summary)
    if response.status_code == 301:
        assert response["Location"].startswith(f"{address}?")


@pytest.mark.parametrize(("name", "focus"), [(name, focus) for name, (_, names) in READS.items() for focus in names])
def test_no_value_of_any_parameter_answers_a_server_error_and_one_in_error_is_named(client, world, name, focus):
    arguments, _names = READS[name]
    parameters = parameters_of(name)
    focused = next(parameter for parameter in parameters if parameter.name == focus)

    @QUERIES
    @given(
        language=LANGUAGES,
        kwargs=st.sampled_from(arguments),
        value=valued(focused),
        others=pairs(parameters),
    )
    def any_query(language, kwargs, value, others):
        # The parameter in focus first: a repeated key among the others is read instead.
        check(client, name, kwargs, language, parameters, [(focus, *value), *others])

    any_query()


ADDRESSES_WITHOUT_PARAMETERS = [
    ("home", {}),
    ("topics:list", {}),
    ("topics:detail", {"slug": "trade"}),
    ("directorates:list", {}),
    ("directorates:detail", {"slug": "dae"}),
    ("directorates:download", {"format": "csv"}),
    ("directorates:download", {"format": "json"}),
    ("agreements:detail", {"slug": "pe-cl"}),
    ("events:detail", {"slug": "summit"}),
]


@settings(QUERIES, max_examples=EXAMPLES * len(ADDRESSES_WITHOUT_PARAMETERS))
@given(address=st.sampled_from(ADDRESSES_WITHOUT_PARAMETERS), language=LANGUAGES, query=pairs([]))
def test_a_page_that_reads_no_parameter_answers_any_query_as_without_one(client, world, address, language, query):
    name, kwargs = address
    response, _body = answer(client, url(name, language, **kwargs), encoded(query))
    assert response.status_code == 200


@settings(QUERIES, max_examples=EXAMPLES * 3)
@given(address=st.sampled_from(["/", "/sitemap.xml", "/robots.txt"]), query=pairs([]))
def test_the_addresses_outside_the_languages_answer_any_query_as_without_one(client, world, address, query):
    response, _body = answer(client, address, encoded(query))
    assert response.status_code == (302 if address == "/" else 200)


def is_first_page(value):
    try:
        return int(read(value)) == 1
    except ValueError:
        return False


@settings(QUERIES, max_examples=EXAMPLES * len(SITEMAPS))
@given(
    section=st.sampled_from(sorted(SITEMAPS)),
    number=st.integers(-(10**20), 10**20).map(str) | st.text(max_size=20) | st.binary(max_size=8),
)
def test_a_sitemap_page_that_does_not_exist_is_not_found(client, world, section, number):
    # Django's own view: the sections of world() have one page each.
    response, _body = answer(client, f"/sitemap-{section}.xml", f"p={quote_from_bytes(as_bytes(number), safe='')}")
    assert response.status_code == (200 if is_first_page(number) else 404)


# The cases of the report, and what the property tests cannot tell.


@pytest.mark.parametrize("value", REPORTED_YEARS)
@pytest.mark.parametrize("name", YEAR_FILTERS)
def test_a_year_no_date_can_have_is_named_on_the_list(client, world, name, value):
    response = client.get(url("agreements:list"), {name: value})
    assert response.status_code == 400
    label = str(AgreementFilter.base_filters[name].label)
    assert f"{label}: Enter a year from 1 to 9999." in error_summary(response.content.decode())
    assert response.context["object_list"].count() == 0


@pytest.mark.parametrize("value", REPORTED_YEARS)
@pytest.mark.parametrize("name", YEAR_FILTERS)
def test_a_year_no_date_can_have_downloads_nothing(client, world, name, value):
    response = client.get(url("agreements:download", format="csv"), {name: value, "status": "in_force"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert f"{AgreementFilter.base_filters[name].label}: Enter a year from 1 to 9999." in error_summary(body)
    # The way back: the list with the same query, whose form shows the value to correct.
    assert f'href="{url("agreements:list")}?{name}={value}&amp;status=in_force"' in body


@pytest.mark.parametrize("name", ["events:atom", "events:calendar", "events:download"])
def test_an_event_feed_or_download_in_error_leads_back_to_the_timeline_with_the_same_query(client, world, name):
    kwargs = {"format": "csv"} if name == "events:download" else {}
    response = client.get(url(name, **kwargs), {"date_from": "2020-02-30"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert f'href="{url("events:list")}?date_from=2020-02-30"' in response.content.decode()


# The options of the form's selects, eight on the agreements (two queries for each list of
# parties) and five on the timeline, and the
# page cache's look at the next scheduled change (the test starts with it empty): no chart, no list.
@pytest.mark.parametrize(("name", "queries"), [("agreements:list", 9), ("events:list", 6)])
def test_a_list_in_error_runs_only_the_queries_of_its_forms_options(
    client, world, name, queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(queries):
        response = client.get(url(name), {"date_from": "2020-02-30", "signed_from": "0"})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["1", "9999"])
def test_the_first_and_last_years_a_date_can_have_still_filter(client, world, value):
    response = client.get(url("agreements:list"), {"signed_from": value})
    assert response.status_code == 200
    assert [agreement.slug for agreement in response.context["object_list"]] == (["pe-cl"] if value == "1" else [])


def test_the_last_of_a_repeated_parameter_is_the_one_read(client, world):
    assert client.get(f"{url('agreements:list')}?signed_from=2000&signed_from=0").status_code == 400
    assert client.get(f"{url('agreements:list')}?signed_from=0&signed_from=2000").status_code == 200


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("events:list", {}), ("events:atom", {}), ("events:calendar", {}), ("events:download", {"format": "csv"})],
)
@pytest.mark.parametrize("parameter", ["directorate", "agreement"])
def test_a_nul_byte_in_a_slug_is_refused_before_any_database_sees_it(client, world, name, kwargs, parameter):
    response = client.get(url(name, **kwargs), {parameter: "pe\x00cl"})
    assert response.status_code == 400
    assert f"{EventFilter.base_filters[parameter].label}: " in error_summary(response.content.decode())


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("value", ["0000-01-01", "2020-02-30", "2020-01-01\x00"])
def test_a_day_no_calendar_has_is_named_on_the_agreements_in_force(client, world, language, value):
    response = client.get(url("agreements:in_force", language), {"on": value})
    assert response.status_code == 400
    with translation.override(language):
        assert f"{InForceForm.base_fields['on'].label}: " in error_summary(response.content.decode())
    assert list(response.context["object_list"]) == []


def test_the_agreements_in_force_on_the_first_day_a_date_can_have(client, world):
    response = client.get(url("agreements:in_force"), {"on": "0001-01-01"})
    assert response.status_code == 200 and "0 agreements in force on" in response.content.decode()


def test_a_search_too_long_to_ask_is_named_and_one_as_long_as_a_title_is_not(client, world):
    too_long = client.get(url("search"), {"q": "treaty " * 100})
    assert too_long.status_code == 400
    assert "Words to find, in Spanish or English: Ensure this value has at most 300 characters" in error_summary(
        too_long.content.decode()
    )
    assert client.get(url("search"), {"q": "x" * SEARCH_MAX_LENGTH}).status_code == 200
    assert client.get(url("agreements:list"), {"q": "peru " * 100}).status_code == 400


@pytest.mark.parametrize("name", ["agreements:list", "events:list", "agreements:in_force"])
def test_a_page_that_is_no_number_is_named_and_one_past_the_last_is_the_last(client, world, name):
    response = client.get(url(name), {"page": "two"})
    assert response.status_code == 400
    assert "Page: Enter a whole number." in error_summary(response.content.decode())
    assert client.get(url(name), {"page": "0"}).status_code == 400
    past_the_last = client.get(url(name), {"page": "9" * 20})
    assert past_the_last.status_code == 200
    assert past_the_last.context["page_obj"].number == 1


def test_the_feed_with_a_value_in_error_sends_no_entries(client, world):
    response = client.get(url("events:atom"), {"date_from": "2020-02-30"})
    assert response.status_code == 400 and "<feed" not in response.content.decode()
    assert client.get(url("events:calendar"), {"date_to": "2020-02-30"}).status_code == 400
