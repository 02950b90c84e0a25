"""Billing (SPEC §8): invoices, invoice lines, payments, receivables, printable invoices."""
