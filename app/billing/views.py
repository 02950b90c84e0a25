"""Billing pages: invoices (their lines and payments edited on the invoice's own page, the
printable invoice and its PDF), lines, payments and receivables. No rule here: the pages call
the services and the models' rules answer."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from wtforms import SelectField

from app.billing import printing, receivables, services
from app.billing.columns import INVOICE, INVOICE_LINE, PAYMENT
from app.billing.models import PAYMENT_METHODS, Invoice, InvoiceLine, Payment
from app.core.errors import DomainError, invalid
from app.core.interface import OpsInterface
from app.core.money import currency_choices
from app.core.views import VIEW_METHODS, OpsModelView
from app.core.widgets import status_badge as badge_for
from app.extensions import db

STATUS_CSS = {"draft": "default", "sent": "info", "paid": "success", "void": "default", "overdue": "danger"}
LINE_INPUTS = ("description", "quantity", "unit_price", "tax_rate", "discount_rate")


status_badge = badge_for(STATUS_CSS, "invoice-status")


def _methods() -> list[tuple[str, str]]:
    return [(m, m.replace("_", " ").capitalize()) for m in PAYMENT_METHODS]


class InvoiceLineView(OpsModelView):
    route_base = "/invoice-lines"
    class_permission_name = "InvoiceLine"
    datamodel = OpsInterface(InvoiceLine)
    columns = INVOICE_LINE
    list_title = show_title = "Invoice lines"
    add_title, edit_title = "Add line", "Edit line"


class PaymentView(OpsModelView):
    route_base = "/payments"
    class_permission_name = "Payment"
    datamodel = OpsInterface(Payment)
    columns = PAYMENT
    list_title = show_title = "Payments"
    add_title, edit_title = "Record a payment", "Edit payment"
    add_form_extra_fields = {"method": SelectField("Method", choices=_methods(), default="bank_transfer")}
    edit_form_extra_fields = add_form_extra_fields


class InvoiceView(OpsModelView):
    route_base = "/invoices"
    class_permission_name = "Invoice"
    datamodel = OpsInterface(Invoice)
    columns = INVOICE
    method_permission_name = {
        **VIEW_METHODS,
        "add_line": "read",  # each checks the line's or payment's own permission
        "edit_line": "read",
        "remove_line": "read",
        "add_payment_form": "read",
        "remove_payment": "read",
        "printable": "read",
        "pdf": "read",
    }
    show_template = "billing/invoice_show.html"
    list_template = "billing/invoice_list.html"
    list_title = show_title = "Invoices"
    add_title, edit_title = "New invoice (draft)", "Edit invoice"
    formatters_columns = {"display_status": status_badge}
    add_form_extra_fields = {"currency": SelectField("Currency", choices=currency_choices(), default="EUR")}
    edit_form_extra_fields = add_form_extra_fields

    def show_context(self, item: Invoice) -> dict:
        sm = self.appbuilder.sm
        lines = db.session.scalars(
            db.select(InvoiceLine)
            .where(InvoiceLine.invoice_id == item.id, InvoiceLine.archived_at.is_(None))
            .order_by(InvoiceLine.id)
        ).all()
        payments = db.session.scalars(
            db.select(Payment)
            .where(Payment.invoice_id == item.id, Payment.archived_at.is_(None))
            .order_by(Payment.date, Payment.id)
        ).all()
        draft = item.status == "draft"
        return {
            "lines": lines,
            "payments": payments,
            "can_edit_lines": draft and sm.has_access("can_write", "InvoiceLine"),
            "can_remove_lines": draft and sm.has_access("can_delete", "InvoiceLine"),
            "can_add_payment": item.status == "sent" and sm.has_access("can_add_payment", "Invoice"),
            "can_remove_payments": sm.has_access("can_delete", "Payment"),
            "methods": _methods(),
            "today": date.today().isoformat(),
        }

    def list_context(self) -> dict:
        return {"overdue_url": receivables.overdue_list_url(self)}

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.update(self.list_context())
        return super().render_template(template, **kwargs)

    # ------------------------------------------------------------ lines and payments on the invoice page
    def _back(self, pk: int, anchor: str = ""):
        return redirect(url_for("InvoiceView.show", pk=pk) + (f"#{anchor}" if anchor else ""))

    def _allowed(self, permission: str, resource: str, what: str) -> bool:
        if self.appbuilder.sm.has_access(permission, resource):
            return True
        flash(f"{what}: your role may not do this.", "danger")
        return False

    def _run(self, pk: int, what: str, change, done: str, anchor: str):
        try:
            change()
            flash(done, "success")
        except DomainError as exc:
            db.session.rollback()
            detail = "; ".join(f"{k.replace('_', ' ')}: {' '.join(v)}" for k, v in exc.fields.items()) or exc.message
            flash(f"{what}: {detail if exc.status == 422 else exc.message}", "danger")
        return self._back(pk, anchor)

    def _line_fields(self) -> dict:
        return {k: request.form.get(k, "").strip() for k in LINE_INPUTS if k in request.form}

    @expose("/lines/<int:pk>/add", methods=["POST"])
    @has_access
    def add_line(self, pk: int):
        invoice = self.record_or_404(pk)
        if not self._allowed("can_write", "InvoiceLine", "Add line"):
            return self._back(pk, "lines")
        fields = self._line_fields()
        return self._run(pk, "Add line", lambda: services.add_line(invoice, fields), "Line added.", "lines")

    @expose("/lines/<int:pk>/<int:line_id>/edit", methods=["POST"])
    @has_access
    def edit_line(self, pk: int, line_id: int):
        invoice = self.record_or_404(pk)
        line = db.session.get(InvoiceLine, line_id)
        if line is None or line.invoice_id != invoice.id:
            abort(404)
        if not self._allowed("can_write", "InvoiceLine", "Edit line"):
            return self._back(pk, "lines")
        fields = self._line_fields()
        return self._run(pk, "Edit line", lambda: services.update_line(line, fields), "Line saved.", "lines")

    @expose("/lines/<int:pk>/<int:line_id>/remove", methods=["POST"])
    @has_access
    def remove_line(self, pk: int, line_id: int):
        invoice = self.record_or_404(pk)
        line = db.session.get(InvoiceLine, line_id)
        if line is None or line.invoice_id != invoice.id:
            abort(404)
        if not self._allowed("can_delete", "InvoiceLine", "Remove line"):
            return self._back(pk, "lines")
        return self._run(pk, "Remove line", lambda: services.remove_line(line), "Line removed.", "lines")

    @expose("/payments/<int:pk>/add", methods=["POST"])
    @has_access
    def add_payment_form(self, pk: int):
        invoice = self.record_or_404(pk)
        if not self._allowed("can_add_payment", "Invoice", "Add payment"):
            return self._back(pk, "payments")

        def record():
            raw = request.form.get("date") or None
            try:
                paid_on = date.fromisoformat(raw) if raw else None
            except ValueError:
                raise invalid("date", "A date as YYYY-MM-DD.") from None
            services.add_payment(
                invoice,
                request.form.get("amount", "").strip(),
                date=paid_on,
                method=request.form.get("method") or None,
                reference=(request.form.get("reference") or "").strip() or None,
            )

        return self._run(pk, "Add payment", record, "Payment recorded.", "payments")

    @expose("/payments/<int:pk>/<int:payment_id>/remove", methods=["POST"])
    @has_access
    def remove_payment(self, pk: int, payment_id: int):
        invoice = self.record_or_404(pk)
        payment = db.session.get(Payment, payment_id)
        if payment is None or payment.invoice_id != invoice.id:
            abort(404)
        if not self._allowed("can_delete", "Payment", "Remove payment"):
            return self._back(pk, "payments")
        return self._run(pk, "Remove payment", lambda: services.remove_payment(payment), "Payment removed.", "payments")

    # ------------------------------------------------------------ printable invoice and PDF
    @expose("/print/<int:pk>", methods=["GET"])
    @has_access
    def printable(self, pk: int):
        return printing.render_html(self.record_or_404(pk), for_screen=True)

    @expose("/pdf/<int:pk>", methods=["GET"])
    @has_access
    def pdf(self, pk: int):
        invoice = self.record_or_404(pk)
        return Response(printing.render_pdf(invoice), mimetype="application/pdf", headers=printing.headers(invoice))


class ReceivablesView(BaseView):
    """Outstanding balances per client and currency, with aging buckets."""

    route_base = "/receivables"
    class_permission_name = "Invoice"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        report = receivables.receivables(page=0, page_size=200)
        return self.render_template("billing/receivables.html", report=report, today=date.today())
