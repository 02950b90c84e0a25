"""Money, once: `Decimal` amounts within a column's precision, and ISO 4217 currencies (the ones
in use today, from the CLDR data that Babel ships) with their minor units."""

from __future__ import annotations

import functools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies

from app.core.errors import invalid

MAX_AMOUNT = Decimal("999999999999.99")  # numeric(14, 2)
DEFAULT_CURRENCY = "EUR"


@functools.cache
def currencies() -> tuple[str, ...]:
    """The ISO 4217 codes of the currencies legal tender somewhere today."""
    codes: set[str] = set()
    for territory in Locale("en").territories:
        try:
            codes.update(get_territory_currencies(territory, date.today()))
        except Exception:  # a territory without currency data
            continue
    return tuple(sorted(codes))


@functools.cache
def currency_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {get_currency_name(code, locale='en')}") for code in currencies()]


def minor_units(currency: str) -> int:
    return get_currency_precision(currency)


def check_currency(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code in use ("EUR"); anything else is refused, never truncated or guessed."""
    code = value.strip() if isinstance(value, str) else value
    if not isinstance(code, str) or code not in currencies():
        raise invalid(field, "Not a currency in use: give its ISO 4217 code, such as EUR or USD.")
    return code


def check_amount(
    value: Any, field: str = "amount", *, maximum: Decimal = MAX_AMOUNT, negative: bool = False
) -> Decimal:
    """A finite decimal within the column's range (NaN, Infinity and 1e400 are refused here, not
    by the database as a 500)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field, "Not a valid number.") from None
    if not amount.is_finite():
        raise invalid(field, "Not a valid number.")
    if amount < 0 and not negative:
        raise invalid(field, "Cannot be negative.")
    if abs(amount) > maximum:
        raise invalid(field, f"At most {maximum:,}.")
    return amount


def check_decimal(
    value: Any,
    field: str,
    *,
    places: int,
    maximum: Decimal,
    minimum: Decimal = Decimal(0),
    above_minimum: bool = False,
) -> Decimal:
    """A finite decimal with at most `places` decimal places within [minimum, maximum] (or
    (minimum, maximum] with `above_minimum`): what a numeric(p, s) column holds, refused with a
    field message (422) rather than rounded by the database or stored as a float."""
    if isinstance(value, bool):
        raise invalid(field, "Not a valid number.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(field, "Not a valid number.") from None
    if not number.is_finite():
        raise invalid(field, "Not a valid number.")
    if above_minimum and number <= minimum:
        raise invalid(field, f"Must be greater than {minimum}.")
    if number < minimum:
        raise invalid(field, f"Must be at least {minimum}.")
    if number > maximum:
        raise invalid(field, f"At most {maximum:,}.")
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise invalid(field, f"At most {places} decimal places." if places else "A whole number.")
    return number


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half up, to the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal | None, currency: str | None = "") -> str:
    """12,500.00 EUR — as pages show money."""
    return f"{Decimal(amount or 0):,.2f} {currency or ''}".strip()


def money_by_currency(amounts: dict[str, Any], empty: str = "—") -> str:
    """ "1,200.00 EUR · 300.00 USD": each currency's own total, never summed across them."""
    shown = [format_amount(Decimal(str(v)), c) for c, v in sorted(amounts.items()) if Decimal(str(v))]
    return " · ".join(shown) or empty
