"""Invoice totals, in one place, with `Decimal` throughout.

The rounding rule: every amount of a line is rounded **half up to the currency's minor unit**
(2 places for EUR, 0 for JPY) as soon as it is computed, in this order, and the invoice's totals
are the sums of the rounded line amounts:

    line subtotal  = round(quantity x unit price)
    line discount  = round(line subtotal x discount % / 100)
    line tax       = round((line subtotal - line discount) x tax % / 100)
    line total     = line subtotal - line discount + line tax

    subtotal = sum of line subtotals     discount = sum of line discounts
    tax      = sum of line taxes         total    = subtotal - discount + tax
    paid     = sum of the payments       balance due = total - paid

So a printed invoice always adds up: each line's figures and each column's sum are what is
shown, with no hidden fractions of a cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.core.money import round_money

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class LineAmounts:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    balance_due: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_rate: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    subtotal = round_money(Decimal(quantity) * Decimal(unit_price), currency)
    discount = round_money(subtotal * Decimal(discount_rate or 0) / HUNDRED, currency)
    tax = round_money((subtotal - discount) * Decimal(tax_rate or 0) / HUNDRED, currency)
    return LineAmounts(subtotal, discount, tax, subtotal - discount + tax)


def invoice_totals(lines: Iterable[LineAmounts], payments: Iterable[Decimal], currency: str) -> Totals:
    lines = list(lines)
    subtotal = sum((x.subtotal for x in lines), ZERO)
    discount = sum((x.discount for x in lines), ZERO)
    tax = sum((x.tax for x in lines), ZERO)
    total = subtotal - discount + tax
    paid = round_money(sum((Decimal(p) for p in payments), ZERO), currency)
    return Totals(subtotal, discount, tax, total, paid, total - paid)
