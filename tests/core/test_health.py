from sqlalchemy.exc import OperationalError


def test_health_answers_ok_without_login(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "db": "ok"}


def test_health_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from app.extensions import db

    def boom(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", boom)
    resp = client.get("/health")
    assert resp.status_code == 503
    assert resp.get_json()["db"] == "unreachable"
