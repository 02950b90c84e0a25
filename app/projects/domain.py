"""Projects and infrastructure (SPEC §6): projects with their members, Odoo instances, one
active PRODUCTION instance per project, and a Projects tab on the client page."""

from __future__ import annotations

from app.core.registry import Domain, Menu, RelatedTab, Resource
from app.core.roles import FULL, READ, RECORD_PERMISSIONS
from app.core.uow import ConstraintMessage
from app.projects import seed
from app.projects.api import InstanceApi, ProjectApi
from app.projects.models import ONE_PRODUCTION_INDEX, Instance, Project
from app.projects.services import ONE_PRODUCTION_MESSAGE
from app.projects.views import InstanceView, ProjectView

DOMAIN = Domain(
    name="projects",
    label="Infrastructure",
    resources=(
        # can_edit_all on Project lifts "assigned projects only" for projects, instances and members
        Resource(
            "Project",
            Project,
            ProjectView,
            ProjectApi,
            Menu("Projects", "Infrastructure", "fa-folder-open", 10),
            RECORD_PERMISSIONS,
        ),
        Resource(
            "Instance",
            Instance,
            InstanceView,
            InstanceApi,
            Menu("Instances", "Infrastructure", "fa-server", 20),
            RECORD_PERMISSIONS,
        ),
    ),
    related_tabs=(RelatedTab("Client", ProjectView),),  # only the projects the user may see
    grants={
        "Manager": {"Project": FULL, "Instance": FULL},
        "Staff": {"Project": READ, "Instance": READ},  # assigned projects only (no can_edit_all)
        "Support": {"Project": READ, "Instance": READ},
        "Viewer": {"Project": READ, "Instance": READ},
    },
    seed=seed.seed,
    scale={"projects": seed.scale_projects},
    constraint_messages=(ConstraintMessage(ONE_PRODUCTION_INDEX, "instance", ("project_id",), ONE_PRODUCTION_MESSAGE),),
)
