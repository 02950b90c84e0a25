"""The OpenAPI document describes what the API does, and the API keeps to it: schemathesis sends
generated requests to every operation (a bounded number per operation, as Admin and as the
read-only Viewer; SQLite only, the engines answer alike) and fails on any 5xx, a status the
document does not list, or a body that does not match its schema."""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f  # noqa: E402

EXAMPLES = int(os.environ.get("OPSHUB_SCHEMATHESIS_EXAMPLES", "3"))  # `make fuzz` runs more
SKIPPED = ("/api/v1/security/logout",)  # it would end the run's own session (test_sessions.py)
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance]
CHECKS.append(response_schema_conformance)

ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture(scope="module")
def world(app):
    """An organization with a little of everything, an Admin and a Viewer."""
    with app.app_context():
        org = f.make_org()
        admin = f.make_user(org, "Admin", admin=True)
        viewer = f.make_user(org, "Viewer")
        client = f.make_client(org, admin)
        f.make_contact(client)
        f.make_deal(org, admin, client=client)
        f.make_lead(org, admin)
        f.make_task(org, admin)
        f.make_instance(f.make_project(org, [admin, viewer], client=client))
        return {"Admin": admin.id, "Viewer": viewer.id, "org": org.id}


@pytest.fixture
def api_schema(app, world):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    admin = db.session.get(User, world["Admin"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=f.auth(admin))
    return schema.exclude(path=list(SKIPPED))


BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)


def _summary(exc: BaseException) -> str:
    """The check's title and the request that broke it."""
    parts = [exc]
    while parts and isinstance(parts[0], BaseExceptionGroup):
        parts = list(parts[0].exceptions)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    title = next((str(p).splitlines()[0] for p in parts if str(p).strip()), type(exc).__name__)
    status = next((line for line in lines if line.startswith("[") and "]" in line[:6]), "")
    curl = next((line for line in lines if line.startswith("curl ")), "")
    return f"{title} | {status} | {curl}"


def _run(app, world, api_schema, role: str, mode) -> list[str]:
    """Every operation, `EXAMPLES` generated requests each; the failures, one line each."""
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    failures = []
    headers = {**f.auth(db.session.get(User, world[role])), "X-Organization-Id": str(world["org"])}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @BOUNDED
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            continue  # nothing to make invalid (an operation without parameters or body)
        except (Exception, BaseExceptionGroup) as exc:  # a check failed: go on, report every operation
            failures.append(f"{operation.label}: {_summary(exc)}")
    return failures


@pytest.mark.skipif(ON_POSTGRES, reason="the generated run is on SQLite (the engines answer alike)")
@pytest.mark.parametrize("role, mode", [("Admin", "positive"), ("Viewer", "positive"), ("Admin", "negative")])
def test_the_api_keeps_to_its_document(app, world, api_schema, role, mode):
    from schemathesis import GenerationMode

    failures = _run(app, world, api_schema, role, GenerationMode(mode))
    assert failures == [], "\n".join(failures)


def _document(client, org):
    return client.get("/api/v1/_openapi", headers=f.auth(f.make_user(org, "Admin", admin=True))).get_json()


def test_error_bodies_are_documented_as_a_sentence_or_field_errors(client, org):
    spec = _document(client, org)
    error = spec["components"]["schemas"]["Error"]["properties"]["message"]["anyOf"]
    assert {"type": "string"} in error and {"$ref": "#/components/schemas/FieldErrors"} in error
    put = spec["paths"]["/api/v1/clients/{pk}"]["put"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= set(put)
    assert put["422"] == {"$ref": "#/components/responses/422"}


def test_the_members_routes_document_their_path_parameters(client, org):
    spec = _document(client, org)
    for path in ("/api/v1/organizations/{org_id}/members", "/api/v1/organizations/{org_id}/members/{user_id}"):
        for method, operation in spec["paths"][path].items():
            names = {p["name"]: p["schema"]["type"] for p in operation.get("parameters", []) if p["in"] == "path"}
            expected = (
                {"org_id": "integer"} if path.endswith("/members") else {"org_id": "integer", "user_id": "integer"}
            )
            assert names == expected, (method, path, names)


def test_info_and_menu_responses_are_described(client, org):
    spec = _document(client, org)
    info = spec["paths"]["/api/v1/clients/_info"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert info["properties"]["add_columns"]["type"] == "array"
    menu = spec["paths"]["/api/v1/menu/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert menu["properties"]["result"]["items"]["properties"]["childs"]["items"]["anyOf"]


def test_a_rison_parse_error_on_info_is_400(client, org):
    resp = client.get("/api/v1/clients/_info?q=6.5e%2B16", headers=f.auth(f.make_user(org, "Staff")))
    assert resp.status_code == 400


def test_every_401_has_a_message(client):
    for headers in ({}, {"Authorization": "Bearer a.b.c"}, {"Authorization": "Basic x"}):
        resp = client.get("/api/v1/clients/", headers=headers)
        assert resp.status_code == 401 and isinstance(resp.get_json()["message"], str), resp.get_json()
