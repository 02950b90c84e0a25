"""Projects' resources, declared for the tests every resource inherits. `make` assigns the user
to the project: roles without can_edit_all on Project see only assigned ones."""

from __future__ import annotations

from tests import factories as f
from tests.resource_tests import ResourceTests


def _members(owner):
    return [owner] if owner is not None else []


class TestProjects(ResourceTests):
    resource = "Project"
    writer = "Manager"
    change = {"description": "Phase two"}
    invalid = {"name": "   "}

    def make(self, org, owner):
        return f.make_project(org, _members(owner))

    def payload(self, org, owner):
        return {"name": f.unique("Posted project "), "client": f.make_client(org).id}

    def form(self, org, owner):
        return {"name": f.unique("Page project "), "client": str(f.make_client(org).id)}


class TestInstances(ResourceTests):
    resource = "Instance"
    writer = "Manager"
    change = {"odoo_version": "18.0"}
    invalid = {"url": "ftp://nowhere"}

    def make(self, org, owner):
        return f.make_instance(f.make_project(org, _members(owner)))

    def payload(self, org, owner):
        project = f.make_project(org, _members(owner))
        return {"name": f.unique("posted-"), "type": "STAGING", "project": project.id, "url": "https://x.example"}

    def form(self, org, owner):
        project = f.make_project(org, _members(owner))
        return {"name": f.unique("page-"), "type": "STAGING", "project": str(project.id), "active": "y"}
