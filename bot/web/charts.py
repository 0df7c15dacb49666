"""Small server-rendered SVG charts (no JavaScript, no external assets): stacked bars per
day with a legend. Every label is escaped; the result is safe to embed as markup."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

PALETTE = (
    "#2563eb",
    "#16a34a",
    "#dc2626",
    "#d97706",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#475569",
    "#ea580c",
)


def stacked_bars(
    days: Sequence[date],
    series: Mapping[str, Counter[date]],
    labels: Mapping[str, str],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Bars per day, one colour per series (sorted by total, largest first)."""
    names = sorted(series, key=lambda n: (-sum(series[n].values()), n))
    totals = [sum(series[n][d] for n in names) for d in days]
    top = max(totals, default=0) or 1
    left, bottom, top_pad = 32, 22, 8
    plot_h = height - bottom - top_pad
    step = (width - left - 4) / max(len(days), 1)
    bar = max(2.0, step * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 18 * ((len(names) + 2) // 3)}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width}" y2="{top_pad + plot_h}" stroke="#94a3b8"/>',
        f'<text x="{left - 4}" y="{top_pad + 8}" text-anchor="end" font-size="10">{top}</text>',
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    for i, day in enumerate(days):
        x = left + i * step + (step - bar) / 2
        y = float(top_pad + plot_h)
        for index, name in enumerate(names):
            value = series[name][day]
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(day.isoformat())} '
                f"{escape(labels.get(name, name))}: {value}</title></rect>"
            )
        if len(days) <= 16 or i % max(1, len(days) // 8) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                f'font-size="10">{day.strftime("%m-%d")}</text>'
            )
    for index, name in enumerate(names):
        col, row = index % 3, index // 3
        x, y = left + col * (width - left) / 3, height + 12 + row * 18
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 14:.1f}" y="{y}" font-size="11">{escape(labels.get(name, name))} '
            f"({sum(series[name].values())})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
