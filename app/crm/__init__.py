"""CRM: clients, contacts, leads, deals, tasks, activities, the pipeline board and the deal
analytics (SPEC §5)."""


def register(appbuilder) -> None:
    from app.crm.api import AnalyticsApi, ClientApi, ContactApi, DealApi, LeadApi, TaskApi
    from app.crm.pipeline_views import DealView, LeadView, MyTaskView, PipelineView, TaskView
    from app.crm.views import ClientView, ContactView

    appbuilder.add_view(ClientView, "Clients", icon="fa-building", category="CRM")
    appbuilder.add_view(ContactView, "Contacts", icon="fa-address-book", category="CRM")
    appbuilder.add_view(LeadView, "Leads", icon="fa-bullhorn", category="CRM")
    appbuilder.add_view(DealView, "Deals", icon="fa-handshake-o", category="CRM")
    appbuilder.add_view(PipelineView, "Pipeline", icon="fa-columns", category="CRM")
    appbuilder.add_view(TaskView, "Tasks", icon="fa-check-square-o", category="CRM")
    appbuilder.add_view(MyTaskView, "My tasks", icon="fa-user", category="CRM")
    for api in (ClientApi, ContactApi, LeadApi, DealApi, TaskApi, AnalyticsApi):
        appbuilder.add_api(api)
