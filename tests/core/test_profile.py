"""Every user reaches their profile and changes their own password: the current one required,
at least 10 characters, not a common one; the other sessions end, this one carries on."""

from __future__ import annotations

from tests import factories as f


def test_every_user_reaches_their_profile(app, org):
    for role in ("Staff", "Viewer", "NoAccess"):
        user = f.make_user(org, role)
        client = app.test_client()
        f.page_login(client, user)
        page = client.get("/profile/")
        assert page.status_code == 200, role
        assert f"{org.name}: <strong>{role}</strong>" in page.get_data(as_text=True)
        assert 'href="/profile/"' in client.get("/").get_data(as_text=True)


def test_changing_ones_password_needs_the_current_one_and_a_good_new_one(app, client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    other = app.test_client()
    f.page_login(other, user)  # a second session, elsewhere
    cases = [
        (
            {"current_password": "wrong", "password": "a-long-enough-phrase", "confirm": "a-long-enough-phrase"},
            "not your current",
        ),
        ({"current_password": f.PASSWORD, "password": "short1", "confirm": "short1"}, "At least 10"),
        ({"current_password": f.PASSWORD, "password": "password123", "confirm": "password123"}, "common"),
        ({"current_password": f.PASSWORD, "password": "tangerine-bicycle-42", "confirm": "other"}, "differ"),
    ]
    for form, message in cases:
        resp = client.post("/profile/password", data=form)
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), message
    good = {"current_password": f.PASSWORD, "password": "tangerine-bicycle-42", "confirm": "tangerine-bicycle-42"}
    resp = client.post("/profile/password", data=good, follow_redirects=True)
    assert "Your password was changed" in resp.get_data(as_text=True)
    assert client.get("/profile/").status_code == 200  # this browser carries on
    assert other.get("/profile/").status_code == 302  # the other session ended
    fresh = app.test_client()
    assert (
        fresh.post("/login/", data={"username": user.username, "password": "tangerine-bicycle-42"}).status_code == 302
    )
