"""Every response carries the security headers; pages run under a nonce CSP with no inline
handler to break; redirects taken from the Referer stay on this site. (That the pages, Swagger
UI and the charts work under the CSP in a real browser: tests/e2e.)"""

import re

import pytest

from tests import factories as f

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _csp(resp) -> dict[str, str]:
    parts = [p.strip() for p in resp.headers["Content-Security-Policy"].split(";") if p.strip()]
    return {p.split()[0]: p.partition(" ")[2] for p in parts}


@pytest.fixture
def admin_pages(app, org):
    """An admin's browser and the pages the e2e tests visit (one of each kind)."""
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin)
    deal = f.make_deal(org, admin, client=row)
    lead = f.make_lead(org, admin, status="qualified")
    project = f.make_project(org, [admin], client=row)
    client = app.test_client()
    f.page_login(client, admin)
    urls = [
        "/",
        "/clients/list/",
        f"/clients/show/{row.id}",
        "/clients/add",
        f"/clients/edit/{row.id}",
        "/pipeline/",
        f"/deals/show/{deal.id}",
        f"/leads/show/{lead.id}",
        f"/projects/show/{project.id}",
        "/audit/",
        "/users/list/",
        "/swagger/v1",
    ]
    return client, urls


def test_every_page_and_api_response_carries_the_headers(app, admin_pages, org):
    client, urls = admin_pages
    token = f.auth(f.make_user(org, "Staff"))
    responses = [client.get(u) for u in urls] + [
        client.get("/login/"),
        client.get("/health"),
        client.get("/api/v1/clients/", headers=token),
        client.get("/api/v1/clients/", headers={"Authorization": "Bearer nope"}),
        client.get("/api/v1/nothing-here"),
        client.get("/static/opshub/opshub.js"),
    ]
    for resp in responses:
        for name, value in COMMON.items():
            assert resp.headers.get(name) == value, (resp.request.path, name)
        assert _csp(resp)["frame-ancestors"] == "'none'", resp.request.path
        assert "Strict-Transport-Security" not in resp.headers  # production only


def test_pages_allow_only_their_own_scripts_and_those_with_the_requests_nonce(admin_pages):
    client, urls = admin_pages
    nonces = set()
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        policy = _csp(resp)
        assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", policy["script-src"]).group(1)
        nonces.add(nonce)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, url
        for tag in scripts:  # inline and external alike carry this request's nonce
            assert f'nonce="{nonce}"' in tag, (url, tag)
        assert not re.search(r"""<[^>]+\son[a-z]+\s*=""", html), (url, "an inline event handler")
        assert "javascript:" not in html, url
    assert len(nonces) == len(urls)  # a fresh nonce per response


def test_api_responses_get_a_policy_that_allows_nothing(client, org):
    resp = client.get("/api/v1/clients/", headers=f.auth(f.make_user(org, "Staff")))
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_production_sends_hsts_and_secure_cookies(app, client):
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert ProductionConfig.OPSHUB_HSTS_SECONDS >= 31536000
    app.config["OPSHUB_HSTS_SECONDS"] = ProductionConfig.OPSHUB_HSTS_SECONDS
    try:
        resp = client.get("/health")
    finally:
        app.config["OPSHUB_HSTS_SECONDS"] = 0
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    "referer",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://evil.example/clients/list/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_switching_organization_never_redirects_off_site(client, org, other_org, referer):
    user = f.make_user(org, "Staff")
    f.add_membership(user, other_org, "Staff")
    f.page_login(client, user)
    resp = client.post(f"/org/switch/{other_org.id}", headers={"Referer": referer})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/", resp.headers["Location"]


def test_switching_organization_returns_to_the_local_page(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.add_membership(user, other_org, "Staff")
    f.page_login(client, user)
    resp = client.post(f"/org/switch/{other_org.id}", headers={"Referer": "http://localhost/clients/list/?x=1"})
    assert resp.headers["Location"] == "/clients/list/?x=1"


def test_page_actions_never_redirect_off_site(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    f.page_login(client, user)
    resp = client.post(
        "/clients/action_post",
        data={"action": "archive", "rowid": [str(row.id)]},
        headers={"Referer": "https://evil.example/"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/clients/list")
    lead = f.make_lead(org, user, status="qualified")
    other = f.make_lead(org, user, status="qualified")
    resp = client.post(
        "/leads/action_post",
        data={"action": "convert", "rowid": [str(lead.id), str(other.id)]},
        headers={"Referer": "https://evil.example/"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/leads/list")


def test_no_template_carries_an_inline_handler_or_a_javascript_url():
    """The pages run under a nonce CSP without 'unsafe-inline': an onsubmit="..." or a
    javascript: link would be blocked (and break the page) wherever it appears."""
    import pathlib
    import re

    app_dir = pathlib.Path(__file__).resolve().parents[2] / "app"
    pattern = re.compile(r"""\son[a-z]+\s*=\s*["']|javascript:""", re.I)
    offenders = [str(p.relative_to(app_dir)) for p in app_dir.rglob("*.html") if pattern.search(p.read_text())]
    assert offenders == []
