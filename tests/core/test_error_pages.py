"""Errors are pages with the navigation bar, a sentence and a way back; JSON on the API."""

from __future__ import annotations

from tests import factories as f


def test_a_missing_record_is_a_page_with_a_way_back_naming_the_organization(client, org, other_org):
    user = f.make_user(org, "Manager")
    theirs = f.make_client(other_org, None)
    f.page_login(client, user)
    resp = client.get(f"/clients/show/{theirs.id}", headers={"Referer": "http://localhost/clients/list/"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert 'id="error-page"' in page and 'class="navbar' in page  # the navigation stays
    assert 'href="/clients/list/" id="error-back"' in page and 'id="error-home"' in page
    assert f"You are working in <strong>{org.name}</strong>" in page


def test_forbidden_is_a_page_in_plain_words(client, org):
    nobody = f.make_user(org, "NoAccess")
    f.page_login(client, nobody)
    resp = client.get("/clients/list/")
    assert resp.status_code == 403 and "Your role may not open this page" in resp.get_data(as_text=True)


def test_an_off_site_referer_is_not_offered_as_the_way_back(client, org):
    user = f.make_user(org, "Manager")
    f.page_login(client, user)
    page = client.get("/clients/show/999999", headers={"Referer": "https://evil.example/x"}).get_data(as_text=True)
    assert 'href="/" id="error-back"' in page


def test_the_api_answers_json(client, org):
    user = f.make_user(org, "Manager")
    resp = client.get("/api/v1/clients/999999", headers=f.auth(user))
    assert resp.status_code == 404 and resp.is_json
