import pytest
from django.core.cache import caches
from django.utils import translation

from foreignpolicy.registry import resource_for
from foreignpolicy.tabular import read_csv


@pytest.fixture
def import_csv(db, admin_user):
    """Import CSV text through the one pipeline; returns the result."""

    def run(kind, text, dry_run=False, encoding="utf-8"):
        dataset = read_csv(text.encode(encoding))
        return resource_for(kind).import_data(dataset, dry_run=dry_run, user=admin_user, file_name=f"{kind}.csv")

    return run


@pytest.fixture(autouse=True)
def english():
    """Tests read messages in English unless they switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def empty_caches():
    """Each test starts with no page cached and no version of the public content."""
    for cache in caches.all():
        cache.clear()
    yield
