"""Errors as pages people can read: the navigation bar, what happened in plain words and a way
back (to the previous page, to the dashboard); JSON with the same sentence on the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.core import tenancy
from app.core.request_guard import api_error, local_target
from app.extensions import db

log = logging.getLogger(__name__)

PAGES = {
    403: ("Not allowed", "Your role may not open this page or do this. An administrator can change what it may do."),
    404: ("Not found", "There is nothing here: the address is wrong, or the record was deleted or is not yours."),
    405: ("Not allowed", "This address does not take that kind of request."),
    413: ("Too large", "What you sent is larger than this server accepts."),
    500: (
        "Something went wrong",
        "The server failed to answer. Nothing was saved; try again, or tell an administrator.",
    ),
}


def register_error_pages(app: Flask) -> None:
    def error_page(exc):
        status = getattr(exc, "code", None) or 500
        if status >= 500:
            db.session.rollback()
        title, message = PAGES.get(status, (str(status), "The request could not be served."))
        if request.path.startswith("/api/"):
            if isinstance(exc, HTTPException) and status < 500:
                return api_error(exc)
            return jsonify(message=message), status
        try:
            html = render_template(
                "opshub/error.html",
                appbuilder=app.appbuilder,
                base_template=app.appbuilder.base_template,
                status=status,
                title=title,
                message=message,
                organization=tenancy.resolve_active_organization(),
                back_url=local_target(request.referrer) or "/",
            )
        except Exception:  # the page itself failed (no database): a plain sentence still answers
            log.exception("error page failed")
            html = f"{title}: {message}"
        return html, status

    for status in PAGES:
        app.register_error_handler(status, error_page)
