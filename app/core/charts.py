"""Bar charts drawn on the server as inline SVG: no chart library, nothing fetched at run time
(FAB's chart views load Google Charts from the internet)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what the bar says (a count, an amount, a rate)
    css: str = "bar"
    width: float = 0.0  # of the plot area, 0..1


def bars(rows: list[tuple[str, float, str]], css: dict[str, str] | None = None) -> list[Bar]:
    """Bars scaled to the largest value (all-zero data draws empty bars)."""
    top = max((value for _, value, _ in rows), default=0) or 1
    css = css or {}
    return [Bar(label, value, text, css.get(label, "bar"), value / top) for label, value, text in rows]
