"""REST resources /api/v1/projects/ (with members) and /api/v1/instances/."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from app.core.api import API_METHODS, OpsModelRestApi, domain_errors
from app.core.interface import OpsInterface
from app.extensions import db
from app.projects import services
from app.projects.columns import INSTANCE, PROJECT
from app.projects.models import Instance, Project, ProjectMember


def _member_dict(member: ProjectMember) -> dict:
    user = member.user
    return {
        "user_id": member.user_id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "assigned_at": member.created_at.isoformat() if member.created_at else None,
    }


class ProjectApi(OpsModelRestApi):
    resource_name = "projects"
    class_permission_name = "Project"
    datamodel = OpsInterface(Project)
    method_permission_name = {**API_METHODS, "members": "read", "add_member": "write", "remove_member": "write"}
    include_route_methods = OpsModelRestApi.include_route_methods | {"members", "add_member", "remove_member"}
    columns = PROJECT

    @expose("/<int:pk>/members", methods=["GET"])
    @protect()
    @safe
    @permission_name("members")
    @domain_errors
    def members(self, pk: int):
        """Users assigned to the project.
        ---
        get:
          responses:
            200:
              description: Members
            404:
              $ref: '#/components/responses/404'
        """
        project = self._item_or_404(pk)
        if project is None:
            return self.response_404()
        rows = db.session.scalars(
            sa.select(ProjectMember).where(ProjectMember.project_id == project.id).order_by(ProjectMember.id)
        )
        return self.response(200, result=[_member_dict(m) for m in rows])

    @expose("/<int:pk>/members/<int:user_id>", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_member")
    @domain_errors
    def add_member(self, pk: int, user_id: int):
        """Assign a user of the organization to the project (201; 200 if already a member).
        ---
        post:
          responses:
            201:
              description: Assigned
            200:
              description: Already a member
            404:
              $ref: '#/components/responses/404'
            422:
              description: The user is not a member of the organization
        """
        project = self._item_or_404(pk)
        if project is None:
            return self.response_404()
        member, created = services.add_member(project, user_id)
        return self.response(201 if created else 200, result=_member_dict(member))

    @expose("/<int:pk>/members/<int:user_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("remove_member")
    @domain_errors
    def remove_member(self, pk: int, user_id: int):
        """Remove a user from the project.
        ---
        delete:
          responses:
            200:
              description: Removed
            404:
              $ref: '#/components/responses/404'
        """
        project = self._item_or_404(pk)
        if project is None:
            return self.response_404()
        services.remove_member(project, user_id)
        return self.response(200, message="OK")


class InstanceApi(OpsModelRestApi):
    resource_name = "instances"
    class_permission_name = "Instance"
    datamodel = OpsInterface(Instance)
    columns = INSTANCE
