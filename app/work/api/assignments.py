"""/api/v1/assignments/ (with their messages, documents and tasks) and /api/v1/documents/
(download, delete). Record actions (transition, reassign, invoice, messages, delete) are
declared in app/work/actions.py and attached by core."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.models import User
from marshmallow import Schema, fields, validate

from app.core.api import API_METHODS, OpsBaseApi, OpsModelRestApi, domain_errors, json_body
from app.core.errors import MAX_ID
from app.core.filters import OwnedByMe
from app.core.interface import OpsInterface
from app.core.request_guard import upload_limit
from app.crm.models import Task
from app.extensions import db
from app.work.columns import ASSIGNMENT
from app.work.models import Assignment, AssignmentDocument, AssignmentMessage
from app.work.services import assignments as services
from app.work.services import documents
from app.work.views.assignments import download_response


class TaskParams(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    due_date = fields.Date(load_default=None)
    assignee_id = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_ID))


class AssignmentApi(OpsModelRestApi):
    resource_name = "assignments"
    class_permission_name = "Assignment"
    datamodel = OpsInterface(Assignment)
    columns = ASSIGNMENT
    search_filters = {"assignee": [OwnedByMe]}
    method_permission_name = {
        **API_METHODS,
        "messages": "read",
        "documents": "read",
        "upload": "write",
        "tasks": "read",
        "add_task": "write",
    }
    include_route_methods = OpsModelRestApi.include_route_methods | {
        "messages",
        "documents",
        "upload",
        "tasks",
        "add_task",
    }
    openapi_spec_component_schemas = (TaskParams,)

    def _assignment(self, pk: int):
        return self._item_or_404(pk)

    @expose("/<int:pk>/messages", methods=["GET"])
    @protect()
    @safe
    @permission_name("messages")
    @domain_errors
    def messages(self, pk: int):
        """The assignment's message thread, oldest first (newest last).
        ---
        get:
          responses:
            200:
              description: Messages
            404:
              $ref: '#/components/responses/404'
        """
        assignment = self._assignment(pk)
        if assignment is None:
            return self.response_404()
        rows = db.session.execute(
            sa.select(AssignmentMessage, User.username)
            .outerjoin(User, User.id == AssignmentMessage.created_by_id)
            .where(AssignmentMessage.assignment_id == assignment.id)
            .order_by(AssignmentMessage.id)
            .limit(1000)
        ).all()
        return self.response(200, result=[services.message_dict(m, u) for m, u in rows])

    @expose("/<int:pk>/documents", methods=["GET"])
    @protect()
    @safe
    @permission_name("documents")
    @domain_errors
    def documents(self, pk: int):
        """The assignment's documents.
        ---
        get:
          responses:
            200:
              description: Documents
            404:
              $ref: '#/components/responses/404'
        """
        assignment = self._assignment(pk)
        if assignment is None:
            return self.response_404()
        rows = db.session.scalars(
            sa.select(AssignmentDocument)
            .where(AssignmentDocument.assignment_id == assignment.id)
            .order_by(AssignmentDocument.id)
        )
        return self.response(200, result=[documents.document_dict(d) for d in rows])

    @expose("/<int:pk>/documents", methods=["POST"])
    @protect()
    @safe
    @permission_name("upload")
    @domain_errors
    @upload_limit("OPSHUB_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    def upload(self, pk: int):
        """Upload a document (multipart/form-data, field `file`): an allowed extension whose bytes
        are what it says (422 otherwise), at most OPSHUB_MAX_UPLOAD_BYTES (413).
        ---
        post:
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
          responses:
            201:
              description: The document
            404:
              $ref: '#/components/responses/404'
            413:
              description: The file is too large
            422:
              $ref: '#/components/responses/422'
        """
        assignment = self._assignment(pk)
        if assignment is None:
            return self.response_404()
        file = request.files.get("file")
        document = documents.upload(assignment, file.stream if file else None, file.filename if file else None)
        return self.response(201, id=document.id, result=documents.document_dict(document))

    @expose("/<int:pk>/tasks", methods=["GET"])
    @protect()
    @safe
    @permission_name("tasks")
    @domain_errors
    def tasks(self, pk: int):
        """The assignment's tasks.
        ---
        get:
          responses:
            200:
              description: Tasks
            404:
              $ref: '#/components/responses/404'
        """
        assignment = self._assignment(pk)
        if assignment is None:
            return self.response_404()
        rows = db.session.scalars(sa.select(Task).where(Task.assignment_id == assignment.id).order_by(Task.id))
        return self.response(200, result=[services.task_dict(t) for t in rows])

    @expose("/<int:pk>/tasks", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_task")
    @domain_errors
    def add_task(self, pk: int):
        """Add a task to the assignment: `{"title", "due_date"?, "assignee_id"?}`.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/TaskParams'
          responses:
            201:
              description: The task
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        assignment = self._assignment(pk)
        if assignment is None:
            return self.response_404()
        body = json_body(TaskParams())
        task = services.add_task(
            assignment, body["title"], due_date=body.get("due_date"), assignee_id=body.get("assignee_id")
        )
        return self.response(201, id=task.id, result=services.task_dict(task))


class DocumentApi(OpsBaseApi):
    """A document by its id: downloaded or deleted by those who see its assignment (404 for
    anyone else, another organization's included)."""

    resource_name = "documents"
    class_permission_name = "Assignment"
    method_permission_name = {"download_file": "read", "delete": "write"}

    @expose("/<int:pk>/download", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def download_file(self, pk: int):
        """The document's bytes, as an attachment with its stored content type.
        ---
        get:
          responses:
            200:
              description: The file
              content:
                application/octet-stream: {}
            404:
              $ref: '#/components/responses/404'
        """
        document = db.session.get(AssignmentDocument, pk)
        if document is None:
            return self.response_404()
        return download_response(document)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @domain_errors
    def delete(self, pk: int):
        """Delete a document (versioned; the file goes once the delete is committed).
        ---
        delete:
          responses:
            200:
              description: Deleted
            404:
              $ref: '#/components/responses/404'
        """
        document = db.session.get(AssignmentDocument, pk)
        if document is None:
            return self.response_404()
        documents.remove(document)
        return self.response(200, message="OK")
