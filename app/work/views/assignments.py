"""The assignment pages: list, record page with Messages, Documents, Tasks and Timeline tabs, a
reassign form, uploads and downloads. No rule here: the forms call the services."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from wtforms import SelectField

from app.core.errors import DomainError, invalid
from app.core.fields import choice_field
from app.core.interface import OpsInterface
from app.core.money import currency_choices
from app.core.request_guard import upload_limit
from app.core.scope import capability
from app.core.tenancy import Membership
from app.core.views import VIEW_METHODS, OpsModelView
from app.core.widgets import status_badge as badge_for
from app.crm.models import Task
from app.extensions import db
from app.work.columns import ASSIGNMENT
from app.work.models import Assignment, AssignmentDocument, AssignmentMessage
from app.work.services import assignments as services
from app.work.services import documents
from app.work.storage import get_storage
from app.work.timeline import assignment_timeline

STATUS_CSS = {
    "pending": "default",
    "site visit": "info",
    "processing": "primary",
    "submitted": "warning",
    "completed": "success",
    "cancelled": "default",
}


status_badge = badge_for(STATUS_CSS, "assignment-status")


def download_response(document: AssignmentDocument):
    """The stored bytes as an attachment, with the stored content type (nosniff is on every
    response: app/core/headers.py)."""
    stream = get_storage().open(document.storage_key)
    response = send_file(
        stream,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def members(organization_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == organization_id, User.active.is_(True))
            .order_by(User.username)
        )
    )


class AssignmentView(OpsModelView):
    route_base = "/assignments"
    class_permission_name = "Assignment"
    datamodel = OpsInterface(Assignment)
    columns = ASSIGNMENT
    show_template = "work/assignment_show.html"
    list_title = show_title = "Assignments"
    add_title, edit_title = "New assignment", "Edit assignment"
    formatters_columns = {"status_label": status_badge}
    method_permission_name = {
        **VIEW_METHODS,
        "upload": "write",
        "download_document": "read",
        "remove_document": "write",
        "add_task": "write",
        "post_message": "write",
    }
    add_form_extra_fields = {"currency": choice_field("Currency", choices=currency_choices(), default="EUR")}
    edit_form_extra_fields = {"currency": SelectField("Currency", choices=currency_choices())}

    def show_context(self, item: Assignment) -> dict:
        sm = self.appbuilder.sm
        msgs = db.session.execute(
            sa.select(AssignmentMessage, User.username)
            .outerjoin(User, User.id == AssignmentMessage.created_by_id)
            .where(AssignmentMessage.assignment_id == item.id)
            .order_by(AssignmentMessage.id)
        ).all()
        docs = list(
            db.session.scalars(
                sa.select(AssignmentDocument)
                .where(AssignmentDocument.assignment_id == item.id)
                .order_by(AssignmentDocument.id)
            )
        )
        tasks = list(db.session.scalars(sa.select(Task).where(Task.assignment_id == item.id).order_by(Task.id)))
        may_write = sm.has_access("can_write", "Assignment")
        can_reassign = sm.has_access("can_reassign", "Assignment") and item.is_open
        return {
            "messages": msgs,
            "documents": docs,
            "tasks": tasks,
            "timeline": assignment_timeline(item, msgs, docs),
            "invoice": services.existing_invoice(item) if capability("can_read", "Invoice") else None,
            "can_message": may_write,
            "can_upload": may_write,
            "can_add_task": may_write,
            "can_reassign": can_reassign,
            "people": members(item.organization_id) if can_reassign else [],
            "upload_limit": documents.upload_limit(),
            "allowed_extensions": ", ".join(current_app.config["FILE_ALLOWED_EXTENSIONS"]),
        }

    # ------------------------------------------------------------ forms on the record page
    def _back(self, pk: int, anchor: str):
        return redirect(url_for("AssignmentView.show", pk=pk, _anchor=anchor))

    def _run(self, pk: int, anchor: str, change, done: str):
        try:
            change()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            detail = "; ".join(" ".join(v) for v in exc.fields.values()) if exc.status == 422 else ""
            flash(detail or exc.message, "danger")
        return self._back(pk, anchor)

    @expose("/messages/<int:pk>/post", methods=["POST"])
    @has_access
    def post_message(self, pk: int):
        assignment = self.record_or_404(pk)
        body = request.form.get("body", "")
        return self._run(pk, "Messages", lambda: services.add_message(assignment, body), "Message sent.")

    @expose("/documents/<int:pk>/upload", methods=["POST"])
    @has_access
    @upload_limit("OPSHUB_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    def upload(self, pk: int):
        assignment = self.record_or_404(pk)
        file = request.files.get("file")

        def save():
            if file is None or not file.filename:
                raise invalid("file", "Choose a file to upload.")
            documents.upload(assignment, file.stream, file.filename)

        return self._run(pk, "Documents", save, "Document uploaded.")

    @expose("/documents/<int:doc_id>/download", methods=["GET"])
    @has_access
    def download_document(self, doc_id: int):
        document = db.session.get(AssignmentDocument, doc_id)
        if document is None:
            abort(404)
        return download_response(document)

    @expose("/documents/<int:doc_id>/remove", methods=["POST"])
    @has_access
    def remove_document(self, doc_id: int):
        document = db.session.get(AssignmentDocument, doc_id)
        if document is None:
            abort(404)
        pk = document.assignment_id
        return self._run(pk, "Documents", lambda: documents.remove(document), "Document removed.")

    @expose("/tasks/<int:pk>/add", methods=["POST"])
    @has_access
    def add_task(self, pk: int):
        assignment = self.record_or_404(pk)

        def add():
            raw_due = (request.form.get("due_date") or "").strip()
            try:
                due = date.fromisoformat(raw_due) if raw_due else None
            except ValueError:
                raise invalid("due_date", "A date as YYYY-MM-DD.") from None
            raw_user = (request.form.get("assignee_id") or "").strip()
            services.add_task(
                assignment,
                request.form.get("title", ""),
                due_date=due,
                assignee_id=int(raw_user) if raw_user.isdigit() else None,
            )

        return self._run(pk, "Tasks", add, "Task added.")
