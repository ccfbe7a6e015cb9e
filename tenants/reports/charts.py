"""Horizontal bar charts drawn on the server as SVG, as the provider risk
page draws its chart (tenants.quality.charts): readable without JavaScript,
each shown with a table of the same figures; the PDF pack draws the same."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, LABEL_WIDTH, ROW, GAP, NUMBER_ROOM = 640, 250, 24, 8, 90


@dataclass
class HBar:
    label: str
    short_label: str
    value: Decimal | int
    shown: str
    y: int
    width: int


@dataclass
class HBarChart:
    id: str
    title: str
    bars: list[HBar]
    width: int = WIDTH
    height: int = 0
    label_width: int = LABEL_WIDTH

    @property
    def summary(self) -> str:
        return "; ".join(f"{bar.label}: {bar.shown}" for bar in self.bars)


def hbar_chart(chart_id: str, title: str, items, *, money: bool = False) -> HBarChart:
    """One bar per (label, value), as long as its share of the largest value."""
    items = list(items)
    top = max([value for _, value in items] + [0]) or 1
    room = WIDTH - LABEL_WIDTH - NUMBER_ROOM
    bars = []
    for index, (label, value) in enumerate(items):
        shown = f"£{value:,.2f}" if money else f"{value:,}"
        short = label if len(label) <= 34 else label[:33] + "…"
        bars.append(HBar(label=label, short_label=short, value=value, shown=shown, y=GAP + index * (ROW + GAP),
                         width=int(room * value / top) if value > 0 else 0))
    return HBarChart(id=chart_id, title=title, bars=bars, height=GAP + len(bars) * (ROW + GAP))


def year_report_charts(report: dict) -> list[HBarChart]:
    """The year report's charts, in the order the page and the pack show them."""
    providers, live, money = report["providers"], report["packages_live"], report["money"]
    return [
        hbar_chart("contracted-by-round", "Providers contracted, by round",
                   [(row["name"], row["count"]) for row in providers["contracted_by_round"]]),
        hbar_chart("contracted-by-lot", "Providers contracted, by lot",
                   [(f"Lot {row['number']}: {row['name']}", row["count"]) for row in providers["contracted_by_lot"]]),
        hbar_chart("live-by-lot", "Packages gone live, by lot",
                   [(f"Lot {row['number']}: {row['name']}", row["count"]) for row in live["by_lot"]]),
        hbar_chart("committed-by-lot", "Committed, by lot",
                   [(f"Lot {row['number']}: {row['name']}", row["committed"]) for row in money["by_lot"]],
                   money=True),
        hbar_chart("committed-by-funder", "Committed, by funder",
                   [(row["name"], row["committed"]) for row in money["by_funder"]], money=True),
    ]
