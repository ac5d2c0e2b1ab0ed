from __future__ import annotations

import base64
import hashlib
import html as htmllib
import json
from typing import Any

import pytest

from portal.config import HTMX_SRI, HTMX_VERSION, PROJECT_ROOT
from tests.client import PortalClient
from tests.factories import make_user

NPM_HTMX = PROJECT_ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"


def test_the_sri_hash_matches_the_npm_file() -> None:
    digest = hashlib.sha384(NPM_HTMX.read_bytes()).digest()
    assert "sha384-" + base64.b64encode(digest).decode() == HTMX_SRI


def test_the_pinned_version_is_the_installed_one() -> None:
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    installed = json.loads((NPM_HTMX.parent.parent / "package.json").read_text())
    assert package["dependencies"]["htmx.org"] == HTMX_VERSION == installed["version"]
    assert HTMX_VERSION.startswith("2.")


def test_pages_load_htmx_from_the_cdn_with_integrity_and_a_local_fallback(
    client: PortalClient,
) -> None:
    html = client.get("/").get_data(as_text=True)
    assert (
        f'<script src="https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js" '
        f'integrity="{HTMX_SRI}" crossorigin="anonymous"></script>'
    ) in html
    assert 'src="/static/js/htmx-fallback.js" data-local-src="/assets/htmx/htmx.min.js' in html


def test_the_local_copy_is_served_and_is_the_npm_file(client: PortalClient) -> None:
    response = client.get(f"/assets/htmx/htmx.min.js?v={HTMX_VERSION}")
    assert response.status_code == 200
    assert response.data == NPM_HTMX.read_bytes()
    response.close()


def test_local_only_setting_serves_htmx_from_the_app_alone(app_factory: Any) -> None:
    app = app_factory(HTMX_LOCAL_ONLY=True)
    response = app.test_client().get("/")
    html = response.get_data(as_text=True)
    assert "cdn.jsdelivr.net" not in html
    assert "cdn.jsdelivr.net" not in response.headers["Content-Security-Policy"]
    assert (
        '<script src="/assets/htmx/htmx.min.js?v=2.0.11" data-htmx-source="local"></script>' in html
    )


def htmx_config(client: PortalClient) -> dict[str, object]:
    html = client.get("/").get_data(as_text=True)
    start = html.index('<meta name="htmx-config" content="') + len(
        '<meta name="htmx-config" content="'
    )
    return json.loads(htmllib.unescape(html[start : html.index('"', start)]))


def test_htmx_config_fits_a_strict_csp_and_swaps_422(client: PortalClient) -> None:
    config = htmx_config(client)
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False
    assert {"code": "422", "swap": True} in config["responseHandling"]
    assert config["historyCacheSize"] == 10


def test_history_cache_is_off_for_signed_in_pages(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    assert htmx_config(client)["historyCacheSize"] == 0


def test_signed_in_pages_send_the_csrf_token_as_an_htmx_header(client: PortalClient) -> None:
    client.sign_in(make_user("admin"))
    html = client.get("/about").get_data(as_text=True)
    assert 'hx-headers="{&#34;X-CSRFToken&#34;: &#34;' in html


def test_an_htmx_post_with_the_token_header_passes_csrf(client: PortalClient) -> None:
    user = make_user("admin", name="Before")
    client.sign_in(user)
    html = client.get("/account").get_data(as_text=True)
    token = html.split("X-CSRFToken&#34;: &#34;")[1].split("&#34;")[0]
    response = client.post(
        "/account/name",
        data={"name": "After"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/account"
    refused = client.post("/account/name", data={"name": "Again"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
    ],
)
def test_one_helper_decides_fragment_or_full_page(
    client: PortalClient, headers: dict[str, str], fragment: bool
) -> None:
    client.sign_in(make_user("admin", "a@example.org"))
    response = client.get("/admin/people?q=a%40example", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("<!DOCTYPE html>" not in html) is fragment
    assert 'id="people-results"' in html
    assert "HX-Request" in response.headers["Vary"]
