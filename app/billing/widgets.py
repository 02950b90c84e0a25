"""Billing's dashboard card: outstanding and overdue per currency (one GROUP BY)."""

from __future__ import annotations

from app.billing.receivables import dashboard_totals
from app.core.registry import Widget

WIDGETS = (
    Widget(
        "receivables",
        "opshub/widgets/receivables.html",
        lambda: {"rows": dashboard_totals()},
        ("can_read", "Invoice"),
        order=35,
        kind="card",
    ),
)
