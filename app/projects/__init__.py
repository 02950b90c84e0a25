"""Projects and infrastructure: projects, members, Odoo instances (SPEC §6)."""


def register(appbuilder) -> None:
    from app.projects.api import InstanceApi, ProjectApi
    from app.projects.views import InstanceView, ProjectView

    appbuilder.add_view(ProjectView, "Projects", icon="fa-folder-open", category="Infrastructure")
    appbuilder.add_view(InstanceView, "Instances", icon="fa-server", category="Infrastructure")
    appbuilder.add_api(ProjectApi)
    appbuilder.add_api(InstanceApi)
