"""Security headers on every response, and a CSP the pages work under.

* Pages (HTML): `script-src 'self' 'nonce-…'` — FAB's templates mark each of their inline
  scripts with `baselib.get_nonce()`, which calls the `csp_nonce()` global defined here (one
  random nonce per request); OpsHub's templates attach behaviour from opshub.js, never through
  inline handlers. Styles allow `'unsafe-inline'` (FAB's widgets and select2 write style
  attributes); images and fonts may be `data:` URLs (Swagger UI, FontAwesome). Nothing is
  loaded from another host, and no page may be framed (`frame-ancestors 'none'`).
* Everything else (the API's JSON, files): `default-src 'none'; frame-ancestors 'none'`.
* Always: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
  `Referrer-Policy: same-origin`, `Cross-Origin-Opener-Policy: same-origin`; in production
  `Strict-Transport-Security` (`OPSHUB_HSTS_SECONDS`) beside the Secure cookies set in config.
* Redirects built from the Referer stay on this site: app.core.request_guard.local_target.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def csp_nonce() -> str:
    nonce = g.get("_opshub_csp_nonce")
    if nonce is None:
        nonce = g._opshub_csp_nonce = secrets.token_urlsafe(16)
    return nonce


def page_csp(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _set_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if "Content-Security-Policy" not in headers:
        html = response.mimetype == "text/html"
        headers["Content-Security-Policy"] = page_csp(csp_nonce()) if html else API_CSP
    hsts = int(current_app.config.get("OPSHUB_HSTS_SECONDS") or 0)
    if hsts > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    return response


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_set_headers)
