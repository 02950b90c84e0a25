"""Billing (SPEC §8): invoices with lines, tax and discount, payments, receivables, the printable
invoice and its PDF; a Receivables page and an outstanding card on the dashboard."""

from __future__ import annotations

from app.billing import actions, seed
from app.billing.api import InvoiceApi, InvoiceLineApi, PaymentApi, ReceivablesApi
from app.billing.models import Invoice, InvoiceLine, Payment
from app.billing.views import InvoiceLineView, InvoiceView, PaymentView, ReceivablesView
from app.billing.widgets import WIDGETS
from app.core.registry import Domain, Menu, Page, RelatedTab, Resource
from app.core.roles import ARCHIVE, FULL, READ, RECORD_PERMISSIONS, WRITE
from app.core.uow import ConstraintMessage

INVOICE_ACTIONS = ["can_send", "can_mark_paid", "can_void", "can_add_payment"]

DOMAIN = Domain(
    name="billing",
    label="Billing",
    resources=(
        Resource(
            "Invoice",
            Invoice,
            InvoiceView,
            InvoiceApi,
            Menu("Invoices", "Billing", "fa-file-text-o", 10),
            RECORD_PERMISSIONS,
            actions=(actions.SEND, actions.MARK_PAID, actions.VOID, actions.ADD_PAYMENT),
        ),
        Resource(
            "InvoiceLine",
            InvoiceLine,
            InvoiceLineView,
            InvoiceLineApi,
            None,  # edited on the invoice's page
            RECORD_PERMISSIONS,
        ),
        Resource(
            "Payment", Payment, PaymentView, PaymentApi, Menu("Payments", "Billing", "fa-money", 20), RECORD_PERMISSIONS
        ),
    ),
    pages=(Page(ReceivablesView, Menu("Receivables", "Billing", "fa-balance-scale", 30), resource="Invoice"),),
    apis=(ReceivablesApi,),
    related_tabs=(RelatedTab("Client", InvoiceView),),
    grants={
        "Manager": {
            "Invoice": [*FULL, *INVOICE_ACTIONS],
            "InvoiceLine": [*FULL, "can_delete"],
            "Payment": FULL,
        },
        # day-to-day invoices (SPEC §2): drafts, their lines, sending; not payments nor voids
        "Staff": {
            "Invoice": [*WRITE, *ARCHIVE, "can_export", "can_send"],
            "InvoiceLine": [*WRITE, "can_delete"],
            "Payment": READ,
        },
        # billing: payments (recorded, marked paid, removed), voids
        "Finance": {
            "Invoice": [*WRITE, *ARCHIVE, "can_export", *INVOICE_ACTIONS],
            "InvoiceLine": [*WRITE, "can_delete"],
            "Payment": [*WRITE, *ARCHIVE, "can_export", "can_delete", "can_edit_all"],
        },
        "Viewer": {"Invoice": READ, "InvoiceLine": READ, "Payment": READ},
    },
    widgets=WIDGETS,
    seed=seed.seed,
    scale={"invoices": seed.scale_invoices},
    constraint_messages=(
        ConstraintMessage(
            "uq_invoice_organization_id_number",
            "invoice",
            ("organization_id", "number"),
            "This invoice number was just given to another invoice; reload and try again.",
        ),
        ConstraintMessage(
            "ck_invoice_never_overpaid",
            "invoice",
            (),
            "Payments would exceed the invoice's total (another payment was recorded at the same time).",
            "CHECK",
        ),
    ),
)
