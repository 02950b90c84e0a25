"""Export any list, import CSV/XLSX as a reviewable, revertable change set (SPEC §4).

Built once for every resource of every domain, from its registry declaration
(`Resource.exchange`, defaults from its column spec: app/core/exchange/spec.py):

    spec.py       what a resource exports and imports (import columns, match keys, related keys)
    writer.py     streamed CSV/XLSX, formula injection neutralised
    export.py     the list's own query (scope, filters, search, sort), streamed
    reader.py     the uploaded file as a header and rows of text (bad files refused)
    rows.py       one row applied as the resource's API would write it
    services.py   upload, dry run (analyze), commit, revert, expiry
    progress.py   progress of long work, in the database
    models.py     ChangeSet, ChangeSetRow, ChangeSetProgress (migration 0020)
    api.py        /api/v1/<resource>/export, /import, /api/v1/changesets/...
    views.py      the Export button's route, the change set pages
"""

from __future__ import annotations


def attach(registry) -> None:
    """Give every declared resource's API and page their export/import routes (before FAB
    registers them)."""
    from app.core.exchange.api import attach as attach_api
    from app.core.exchange.views import attach_view

    for resource in registry.resources.values():
        if resource.api is not None:
            attach_api(resource.api)
        if resource.view is not None:
            attach_view(resource.view)


def register(appbuilder) -> None:
    from app.core.exchange.api import ChangeSetApi
    from app.core.exchange.views import ChangeSetView

    appbuilder.add_view_no_menu(ChangeSetView)
    appbuilder.add_api(ChangeSetApi)
