"""Every response says what the browser may load and use: the Content-Security-Policy and the
Permissions-Policy, on public pages (cached or not), downloads, feeds and the admin."""

import pytest

from tests.helpers import url

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    ("home", {}),
    ("agreements:list", {}),
    ("agreements:in_force", {}),
    ("events:list", {}),
    ("events:atom", {}),
    ("events:calendar", {}),
    ("directorates:list", {}),
    ("search", {}),
    ("topics:list", {}),
]


def directives(response):
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (directive.split() for directive in policy.split(";"))}


@pytest.mark.parametrize(("name", "kwargs"), PUBLIC_PAGES)
def test_public_pages_allow_only_this_sites_own_scripts_and_styles(client, name, kwargs):
    for attempt in ("first", "from the cache"):
        response = client.get(url(name, **kwargs))
        assert response.status_code == 200, attempt
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], attempt
        assert policy["style-src"] == ["'self'"], attempt
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_the_admin_and_its_login_are_under_the_same_policy(client, admin_client):
    for response in (client.get("/admin/login/"), admin_client.get("/admin/agreements/agreement/")):
        assert response.status_code == 200
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert directives(response)["script-src"] == ["'self'"]


def test_a_missing_page_carries_the_policy_too(client):
    response = client.get("/en/agreements/no-such-agreement/")
    assert response.status_code == 404
    assert directives(response)["default-src"] == ["'self'"]
