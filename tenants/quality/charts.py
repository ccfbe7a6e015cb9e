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


@dataclass
class Share:
    colour: str
    label: str
    count: int
    percent: int
    y: int
    width: int


@dataclass
class DistributionChart:
    shares: list[Share]
    total: int
    width: int = WIDTH
    height: int = 3 * 36 + 8
    label_width: int = 64


def distribution_chart(counts: dict[str, int]) -> DistributionChart:
    """One horizontal bar per colour (Red, Amber, Green), as long as its
    share of the providers, with the number beside it."""
    total = sum(counts.values())
    room = WIDTH - 64 - 48  # the colour's name on the left, the number on the right
    shares = []
    for index, (colour, label) in enumerate((("red", "Red"), ("amber", "Amber"), ("green", "Green"))):
        count = counts.get(colour, 0)
        shares.append(Share(colour=colour, label=label, count=count,
                            percent=round(100 * count / total) if total else 0, y=8 + index * 36,
                            width=int(room * count / total) if total else 0))
    return DistributionChart(shares, total)
