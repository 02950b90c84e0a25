"""Project services: assigning members. Instances need no service of their own: their rule
(one active PRODUCTION per project) is a model rule checked at every flush (`check_rules`) and
backed by a partial unique index."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.errors import NotFound, invalid, valid_id
from app.core.uow import unit_of_work
from app.extensions import db
from app.projects.models import Project, ProjectMember

ONE_PRODUCTION_MESSAGE = (
    "Project already has an active PRODUCTION instance (another was saved at the same time); reload and try again."
)


def _assignment(project: Project, user_id: int) -> ProjectMember | None:
    return db.session.scalar(
        sa.select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
    )


def add_member(project: Project, user_id: object) -> tuple[ProjectMember, bool]:
    """Assign a user of the organization to the project: (assignment, created). Assigning an
    existing member changes nothing. A user outside the organization is refused (422)."""
    if not valid_id(user_id):
        raise invalid("user_id", "Not a valid id.")
    existing = _assignment(project, user_id)
    if existing is not None:
        return existing, False
    with unit_of_work("permission_change") as session:
        member = ProjectMember(project_id=project.id, user_id=user_id)
        session.add(member)
    return member, True


def remove_member(project: Project, user_id: object) -> None:
    if not valid_id(user_id):
        raise NotFound("Not a member of this project.")
    existing = _assignment(project, user_id)
    if existing is None:
        raise NotFound("Not a member of this project.")
    with unit_of_work("permission_change") as session:
        session.delete(existing)
