import pytest

from foreignpolicy.models import Topic
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import settled_page_cache, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def hierarchy():
    dg = DirectorateFactory(slug="dg", name_en="Directorate-General for Multilateral and Global Affairs", position=1)
    opm = DirectorateFactory(slug="opm", acronym="OPM", name_en="Organizations and Multilateral Policy", parent=dg)
    DirectorateFactory(slug="un-department", name_en="United Nations Department", parent=opm)
    DirectorateFactory(slug="hidden", name_en="Hidden unit", parent=dg, is_published=False)
    return {"dg": dg, "opm": opm}


def test_the_directorates_are_listed_as_their_hierarchy(client, hierarchy):
    page = client.get(url("directorates:list")).content.decode()
    dg, opm, department = (
        page.index(name)
        for name in (
            "Directorate-General for Multilateral",
            "Organizations and Multilateral Policy (OPM)",
            "United Nations Department",
        )
    )
    assert dg < opm < department
    assert "Hidden unit" not in page


def test_a_directorate_page_shows_its_body_units_agreements_events_and_topics(client, hierarchy):
    opm = hierarchy["opm"]
    opm.body_en = "Peru promotes **democratic governance**.\n\n- UN\n- OAS"
    opm.save()
    opm.topics.add(Topic.objects.get(slug="human-rights"))
    AgreementFactory(title_en="UN Standby Arrangements MoU", directorate=opm)
    AgreementFactory(title_en="Draft MoU", directorate=opm, is_published=False)
    EventFactory(title_en="Summit of the Americas").directorates.add(opm)
    page = client.get(url("directorates:detail", slug="opm")).content.decode()
    assert "<strong>democratic governance</strong>" in page and "<li>UN</li>" in page
    assert "United Nations Department" in page
    assert "UN Standby Arrangements MoU" in page and "Draft MoU" not in page
    assert "Summit of the Americas" in page
    assert "Human rights" in page
    assert f'href="{url("directorates:detail", slug="dg")}"' in page


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('x')</script>Text",
        '<img src="x" onerror="alert(1)">Text',
        "[click](javascript:alert(1)) Text",
        '<a href="javascript:alert(1)" onclick="alert(2)">click</a> Text',
        "<iframe src='https://evil.example'></iframe>Text",
    ],
)
def test_body_text_is_sanitised_so_nothing_in_it_runs(client, markdown):
    DirectorateFactory(slug="x", body_en=markdown)
    page = client.get(url("directorates:detail", slug="x")).content.decode()
    body = page[page.index('<div class="body-text">') :]
    body = body[: body.index("</div>")]
    assert "Text" in body
    for dangerous in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img"):
        assert dangerous not in body


def test_other_fields_are_escaped(client):
    DirectorateFactory(slug="x", name_en="<b>Bold</b> name", summary_en="<script>alert(1)</script>")
    page = client.get(url("directorates:detail", slug="x")).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; name" in page
    assert "<script>alert(1)</script>" not in page


def test_a_draft_directorate_is_not_found_but_staff_may_preview_it(client, admin_client, hierarchy):
    assert client.get(url("directorates:detail", slug="hidden")).status_code == 404
    assert admin_client.get(url("directorates:detail", slug="hidden")).status_code == 200


def test_the_download_holds_the_published_directorates(client, hierarchy):
    lines = client.get(url("directorates:download", format="csv")).getvalue().decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["dg", "opm", "un-department"]


@pytest.mark.parametrize("count", [3, 100])
def test_the_list_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    for parent in DirectorateFactory.create_batch(count):
        DirectorateFactory.create_batch(2, parent=parent)
    with django_assert_max_num_queries(4):
        client.get(url("directorates:list"))


@pytest.mark.parametrize("count", [3, 100])
def test_a_page_and_the_download_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    parent = DirectorateFactory(slug="parent")
    for unit in DirectorateFactory.create_batch(count, parent=parent):
        unit.topics.add(Topic.objects.get(slug="trade"))
        AgreementFactory(directorate=parent)
        EventFactory().directorates.add(parent, unit)
    settled_page_cache()
    with django_assert_max_num_queries(7):
        client.get(url("directorates:detail", slug="parent"))
    with django_assert_max_num_queries(4):
        client.get(url("directorates:download", format="csv")).getvalue()
