"""Charts drawn on the server as SVG, readable without JavaScript; every
chart is shown with a table of the same figures beside it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, GUTTER = 320, 140, 28


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: Decimal | None
    rag: str | None


@dataclass
class BarChart:
    bars: list[Bar]
    target_y: int | None
    width: int = WIDTH
    height: int = HEIGHT + GUTTER
    baseline: int = HEIGHT


def bar_chart(figures, *, target=None, percentage: bool = True) -> BarChart:
    """Bars for each period's figure (0 to 100 for a percentage, 0 to the
    largest figure or target otherwise), and the target as a line."""
    values = [f.value for f in figures if f.value is not None]
    top = Decimal(100) if percentage else max(values + ([target] if target is not None else []) + [Decimal(1)])
    slot = WIDTH // max(len(figures), 1)
    width = max(min(slot - 12, 60), 8)
    bars = []
    for index, figure in enumerate(figures):
        value = figure.value or Decimal(0)
        height = int(HEIGHT * min(value, top) / top) if top else 0
        bars.append(Bar(x=index * slot + (slot - width) // 2, y=HEIGHT - height, width=width, height=height,
                        label=figure.label, value=figure.value, rag=figure.rag))
    target_y = HEIGHT - int(HEIGHT * min(target, top) / top) if target is not None and top else None
    return BarChart(bars, target_y)
