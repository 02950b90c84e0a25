"""CRM: clients and contacts (SPEC §5)."""


def register(appbuilder) -> None:
    from app.crm.api import ClientApi, ContactApi
    from app.crm.views import ClientView, ContactView

    appbuilder.add_view(ClientView, "Clients", icon="fa-building", category="CRM")
    appbuilder.add_view(ContactView, "Contacts", icon="fa-address-book", category="CRM")
    appbuilder.add_api(ClientApi)
    appbuilder.add_api(ContactApi)
