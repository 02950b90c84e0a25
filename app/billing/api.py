"""Billing's REST resources: invoices (with their PDF), invoice lines, payments, and the
receivables analytics. Columns from app/billing/columns.py; record actions from
app/billing/actions.py, attached by core."""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from app.billing import columns, printing
from app.billing.models import Invoice, InvoiceLine, Payment
from app.billing.receivables import Overdue, receivables
from app.core.api import API_METHODS, OpsBaseApi, OpsModelRestApi, domain_errors
from app.core.errors import invalid, valid_id
from app.core.interface import OpsInterface


class InvoiceApi(OpsModelRestApi):
    resource_name = "invoices"
    class_permission_name = "Invoice"
    datamodel = OpsInterface(Invoice)
    columns = columns.INVOICE
    method_permission_name = {**API_METHODS, "pdf": "read"}
    include_route_methods = OpsModelRestApi.include_route_methods | {"pdf"}
    search_filters = {"status": [Overdue]}

    @expose("/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    @permission_name("pdf")
    @domain_errors
    def pdf(self, pk: int):
        """The invoice as a PDF (the printable page's template, one A4 page).
        ---
        get:
          responses:
            200:
              description: The PDF
              content:
                application/pdf: {}
            404:
              $ref: '#/components/responses/404'
        """
        invoice = self._item_or_404(pk)
        if invoice is None:
            return self.response_404()
        return Response(printing.render_pdf(invoice), mimetype="application/pdf", headers=printing.headers(invoice))


class InvoiceLineApi(OpsModelRestApi):
    resource_name = "invoice-lines"
    class_permission_name = "InvoiceLine"
    datamodel = OpsInterface(InvoiceLine)
    columns = columns.INVOICE_LINE


class PaymentApi(OpsModelRestApi):
    resource_name = "payments"
    class_permission_name = "Payment"
    datamodel = OpsInterface(Payment)
    columns = columns.PAYMENT


def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > maximum:
        raise invalid(name, f"A whole number from 0 to {maximum}.")
    return int(raw)


class ReceivablesApi(OpsBaseApi):
    """Receivables of the active organization; needs can_read on Invoice."""

    resource_name = "analytics"
    class_permission_name = "Invoice"
    method_permission_name = {"receivables": "read"}
    openapi_spec_tag = "Analytics"

    @expose("/receivables", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def receivables(self):
        """Outstanding balances per client and currency: outstanding, overdue, oldest due date
        and aging buckets (days past due: current, 0-30, 31-60, 61-90, 90+), clients who owe the
        most first; totals per currency.
        ---
        get:
          parameters:
          - {in: query, name: client_id, schema: {type: integer}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 500}}
          responses:
            200:
              description: Receivables
            422:
              $ref: '#/components/responses/422'
        """
        client_id = None
        if request.args.get("client_id"):
            raw = request.args["client_id"].strip()
            client_id = int(raw) if raw.isdigit() else None
            if not valid_id(client_id):
                raise invalid("client_id", "A client id.")
        page = _int_arg("page", 0, 100_000)
        page_size = max(1, _int_arg("page_size", 100, 500))
        return self.response(200, result=receivables(page=page, page_size=page_size, client_id=client_id))
