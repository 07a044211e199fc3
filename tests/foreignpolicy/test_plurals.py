"""Counts read as a person would write them, in both languages: "1 agreement", "1 acuerdo",
"1 creado", never "1 agreements"."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from foreignpolicy.imports.reading import NEW, SKIP, UPDATE
from foreignpolicy.imports.results import ImportResult
from foreignpolicy.models import Topic
from tests.factories import AgreementFactory, EventFactory
from tests.helpers import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "one", "none"),
    [("en", "1 agreement, 1 event", "0 agreements, 0 events"), ("es", "1 acuerdo, 1 evento", "0 acuerdos, 0 eventos")],
)
def test_a_topics_counts_agree_with_their_number(client, language, one, none):
    trade = Topic.objects.get(slug="trade")
    AgreementFactory().topics.add(trade)
    EventFactory().topics.add(trade)
    page = client.get(url("topics:list", language)).content.decode()
    assert one in page and none in page


@pytest.mark.parametrize(
    ("language", "counts", "summary"),
    [
        ("en", (1, 0, 2), "1 created, 0 updated, 2 unchanged; 1 of them is a draft."),
        ("es", (1, 0, 2), "1 creado, 0 actualizados, 2 sin cambios; 1 de ellos es borrador."),
        ("es", (2, 1, 1), "2 creados, 1 actualizado, 1 sin cambios; 1 de ellos es borrador."),
    ],
)
def test_an_imports_summary_agrees_with_each_number(language, counts, summary):
    result = ImportResult()
    result.totals[NEW], result.totals[UPDATE], result.totals[SKIP] = counts
    result.drafts = 1
    with translation.override(language):
        assert result.summary() == summary


@pytest.mark.parametrize(
    ("language", "count", "said"),
    [
        ("en", 1, "Now on the public site: 1 agreement."),
        ("es", 1, "Ahora en el sitio público: 1 acuerdo."),
        ("es", 3, "Ahora en el sitio público: 3 acuerdos."),
    ],
)
def test_publishing_from_the_list_says_how_many_of_what(admin_client, language, count, said):
    drafts = AgreementFactory.create_batch(count, is_published=False)
    response = admin_client.post(
        reverse("admin:agreements_agreement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk for draft in drafts]},
        headers={"accept-language": language},
    )
    assert [str(message) for message in get_messages(response.wsgi_request)] == [said]
