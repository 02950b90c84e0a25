"""Billing's columns: one spec per resource, read by its page and its API."""

from __future__ import annotations

from app.core.columns import Columns

INVOICE = Columns(
    list=("number", "client", "issue_date", "due_date", "status", "currency", "total", "balance_due"),
    show=(
        "number",
        "client",
        "status",
        "issue_date",
        "due_date",
        "currency",
        "subtotal",
        "discount_total",
        "tax_total",
        "total",
        "paid_total",
        "balance_due",
        "notes",
        "assignment_id",
        "sent_at",
        "paid_at",
        "voided_at",
    ),
    form=("client", "currency", "issue_date", "due_date", "notes"),
    search=("number", "client", "status", "issue_date", "due_date", "currency", "total", "balance_due"),
    order=("number", "issue_date", "due_date", "status", "total", "balance_due", "created_at"),
    base_order=("created_at", "desc"),
    labels={
        "number": "Number",
        "status": "Status",
        "total": "Total",
        "discount_total": "Discount",
        "tax_total": "Tax",
        "paid_total": "Paid",
        "balance_due": "Balance due",
        "assignment_id": "Assignment",
        "notes": "Notes (printed: payment details)",
    },
    descriptions={
        "issue_date": "Left empty, the invoice is dated the day it is sent.",
        "due_date": "Left empty, 30 days after the issue date.",
        "notes": "Printed on the invoice: bank account, payment terms.",
    },
    shown_as={"number": "label", "status": "display_status", "total": "total_label", "balance_due": "balance_label"},
    api_only=frozenset({"currency"}),
)

INVOICE_LINE = Columns(
    list=("invoice", "description", "quantity", "unit_price", "tax_rate", "discount_rate", "total"),
    show=(
        "invoice",
        "description",
        "quantity",
        "unit_price",
        "discount_rate",
        "tax_rate",
        "subtotal",
        "discount_amount",
        "tax_amount",
        "total",
    ),
    form=("invoice", "description", "quantity", "unit_price", "tax_rate", "discount_rate"),
    edit=("description", "quantity", "unit_price", "tax_rate", "discount_rate"),
    search=("invoice", "description"),
    order=("description", "total", "created_at"),
    base_order=("created_at", "desc"),
    labels={"tax_rate": "Tax %", "discount_rate": "Discount %", "unit_price": "Unit price"},
    descriptions={"quantity": "Greater than 0.", "tax_rate": "0 to 100.", "discount_rate": "0 to 100."},
)

PAYMENT = Columns(
    list=("invoice", "amount", "date", "method", "reference"),
    show=("invoice", "amount", "date", "method", "reference"),
    form=("invoice", "amount", "date", "method", "reference"),
    edit=("date", "method", "reference"),
    search=("invoice", "date", "method", "amount"),
    order=("date", "amount", "created_at"),
    base_order=("date", "desc"),
    descriptions={"amount": "Greater than 0 and at most the invoice's balance due."},
)
