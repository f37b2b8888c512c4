"""Charts drawn on the server as SVG (no chart library in the browser): bars per day and per member.

Each chart is a plain value (series, labels, scale) that the template draws; the numbers are also in a
table under the chart, so the figures are there for screen readers and for copying.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 720, 220, 28


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    labels: tuple[tuple[float, str], ...]  # x, text under the axis
    top: int  # the value the chart's height stands for
    width: int = WIDTH
    height: int = HEIGHT
    margin: int = MARGIN


def stacked(columns: list[tuple[str, list[tuple[int, str, str]]]]) -> Chart:
    """One stacked bar per column: `columns` = [(label, [(value, colour, title), …]), …]."""
    top = max([sum(v for v, _c, _t in parts) for _label, parts in columns] + [1])
    step = (WIDTH - MARGIN) / max(len(columns), 1)
    scale = (HEIGHT - 2 * MARGIN) / top
    bars, labels = [], []
    for n, (label, parts) in enumerate(columns):
        x, base = MARGIN + n * step + step * 0.15, HEIGHT - MARGIN
        for value, colour, title in parts:
            if value:
                bars.append(Bar(x, base - value * scale, step * 0.7, value * scale, colour, title))
                base -= value * scale
        labels.append((x + step * 0.35, label))
    return Chart(tuple(bars), tuple(labels), top)
