"""A resource page's record actions (app/core/actions.py declares them): the buttons a user may
press on a record's page, the `do` route that runs one, the bulk actions on the list, and what
the page says when a policy (approvals) turned the call into a request."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup

from app.core import actions as record_actions
from app.core import services
from app.core.errors import DomainError
from app.core.request_guard import local_target
from app.extensions import db


def safe_next(default: str) -> str:
    """Back to the page a form came from (a board, a detail page), never off-site."""
    return local_target(request.form.get("next")) or default


def safe_referrer(default: str) -> str:
    """Back to the referring page when it is one of ours, else `default`."""
    return local_target(request.referrer) or default


class RecordActionPages:
    """Mixed into OpsModelView: its declared record actions, on the page."""

    _record_actions: dict[str, record_actions.RecordAction] = {}

    @classmethod
    def attach_record_actions(cls, resource, actions: list[record_actions.RecordAction]) -> None:
        cls._record_actions = {a.name: a for a in actions}
        permissions = dict(cls.method_permission_name)
        for act in actions:
            if act.bulk:
                name = f"bulk_{act.name}"
                setattr(cls, name, _bulk_method(act))
                permissions[name] = act.permission.removeprefix("can_")
        cls.method_permission_name = permissions

    def record_buttons(self, item) -> list[tuple[record_actions.RecordAction, list[record_actions.Choice]]]:
        """The declared actions this user may take on this record now, with their buttons."""
        resource = self.class_permission_name
        out = []
        for act in self._record_actions.values():
            if act.on_page and record_actions.may(resource, act, item):
                buttons = act.buttons(item)
                if buttons:
                    out.append((act, buttons))
        return out

    @expose("/do/<name>/<int:pk>", methods=["POST"])
    @has_access
    def do(self, name, pk):
        """Run a declared record action from the page; a refusal is flashed in plain words."""
        act = self._record_actions.get(name)
        if act is None:
            abort(404)
        item = self.record_or_404(pk)
        back = url_for(f"{self.__class__.__name__}.show", pk=pk)
        if not self.appbuilder.sm.has_access(act.permission, self.class_permission_name):
            flash(f"{act.label}: your role may not do this.", "danger")
            return redirect(safe_next(back))
        done: list = []

        def attempt():
            posted = request.form.to_dict()
            version = posted.pop("version", None)
            params = act.load(posted, form=True)
            if version:
                services.check_version(item, version)
            done.append(record_actions.run(self.class_permission_name, act, item, params))

        ok = self.attempt(str(item), attempt)
        if ok:
            outcome = done[0]
            if outcome.pending is not None:
                flash_pending(outcome.pending)
            else:
                flash(act.done(item, outcome.result) if act.done else f"{act.label}: done.", "success")
                target = act.next_page(item, outcome.result) if act.next_page else None
                if target:
                    return redirect(target)
        return redirect(safe_next(back))

    def attempt(self, label: str, change, done=None) -> bool:
        """A domain action from a page: a refusal flashes the rule's message (the session rolled
        back, nothing written); success flashes `done()` when given."""
        try:
            change()
        except DomainError as exc:
            db.session.rollback()
            flash(f"{label}: {exc.message}", "danger")
            return False
        if done is not None:
            flash(done(), "success")
        return True


def flash_pending(pending: dict) -> None:
    """A policy turned the action into a request: say so, with a link to it."""
    message = pending.get("message") or "Sent for approval."
    url = pending.get("url")
    flash(
        Markup('{} <a href="{}" class="alert-link">Open the request</a>').format(message, url) if url else message,
        "info",
    )


def _bulk_method(act: record_actions.RecordAction):
    def bulk(self, items):
        items = [i for i in (items if isinstance(items, list) else [items]) if i is not None]
        resource = self.class_permission_name
        changed = skipped = 0
        requested: list[int] = []
        params = act.load({}, form=True)

        def run(item) -> None:
            outcome = record_actions.run(resource, act, item, params)
            if outcome.pending is not None:
                requested.append(outcome.pending.get("approval_request_id"))

        for item in items:
            if not act.available(item):
                skipped += 1
                continue
            changed += self.attempt(str(item), lambda item=item: run(item))
        changed -= len(requested)
        if changed:
            flash(f"{act.label}: {changed} record(s).", "success")
        if requested:
            flash(f"{act.label}: {len(requested)} record(s) sent for approval (requests shown in Approvals).", "info")
        if skipped:
            flash(f"{act.label}: {skipped} record(s) left as they were (nothing to do).", "info")
        return redirect(safe_referrer(url_for(f"{self.__class__.__name__}.list")))

    bulk.__name__ = f"bulk_{act.name}"
    return fab_action(act.name, act.label, act.confirm or f"{act.label} the selected records?", act.icon, single=False)(
        bulk
    )
