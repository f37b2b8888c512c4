"""Bench results: one Line per measured target, printed PASS/FAIL as it comes, then a markdown
table and one small SVG chart per bench (written by hand: a few rectangles need no plotting library).
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path


@dataclass(frozen=True)
class Line:
    bench: str  # "B1 xml_curl", "B4 ESL", "B5 CDR"
    name: str  # what was measured, e.g. "sip_auth · sqlite · 2 conn"
    measured: str  # our figures
    reference: str  # the ceiling's figures (or "" when the target is absolute)
    ratio: float  # the figure the target is about, e.g. throughput / ceiling
    target: str  # e.g. "≥ 0.85×, p99 ≤ 1.5× ceiling"
    ok: bool
    goal: float  # where `ratio` must be (drawn on the chart)
    higher_is_better: bool = True

    def text(self) -> str:
        reference = f" | ceiling {self.reference}" if self.reference else ""
        return (f"{'PASS' if self.ok else 'FAIL'} {self.bench} {self.name}: {self.measured}{reference}"
                f" | ratio {self.ratio:.2f} (target {self.target})")


def markdown(lines: list[Line], header: str = "") -> str:
    out = [header, ""] if header else []
    out += ["| bench | measurement | centralita | ceiling | ratio | target | result |",
            "|---|---|---|---|---:|---|---|"]
    for line in lines:
        out.append(f"| {line.bench} | {line.name} | {line.measured} | {line.reference or '—'} | {line.ratio:.2f} |"
                   f" {line.target} | {'PASS' if line.ok else '**FAIL**'} |")
    return "\n".join(out) + "\n"


def svg(lines: list[Line], title: str) -> str:
    """Horizontal bars, one per line: its ratio, with a tick at its goal; red when it missed."""
    row, label_w, bar_w, top = 18, 330, 360, 30
    scale_max = max([1.0] + [max(line.ratio, line.goal) * 1.1 for line in lines])
    height = top + row * len(lines) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i, line in enumerate(lines):
        y = top + i * row
        width = bar_w * min(line.ratio, scale_max) / scale_max
        goal_x = label_w + bar_w * line.goal / scale_max
        colour = "#3a7d44" if line.ok else "#c0392b"
        parts += [f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(line.name)}</text>',
                  f'<rect x="{label_w}" y="{y + 2}" width="{width:.1f}" height="{row - 5}" fill="{colour}"/>',
                  f'<line x1="{goal_x:.1f}" x2="{goal_x:.1f}" y1="{y}" y2="{y + row - 1}" stroke="#000" '
                  'stroke-width="2"/>',
                  f'<text x="{label_w + width + 4:.1f}" y="{y + 12}">{line.ratio:.2f}</text>']
    axis_y = top + row * len(lines) + 14
    parts.append(f'<text x="{label_w}" y="{axis_y}" fill="#555">bars: ratio (0 … {scale_max:.2f}); '
                 'black tick: target; green met, red missed</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(folder: Path, lines: list[Line], header: str) -> Path:
    """table.md with every line, and <bench>.svg per bench; returns the table's path."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "table.md"
    table.write_text(markdown(lines, header))
    for bench in dict.fromkeys(line.bench for line in lines):
        mine = [line for line in lines if line.bench == bench]
        slug = bench.split()[0].lower()
        (folder / f"{slug}.svg").write_text(svg(mine, bench))
    return table
