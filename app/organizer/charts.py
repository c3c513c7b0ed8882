"""A sales-per-day bar chart drawn on the server as plain SVG (no JS, no libraries).

Geometry is computed here; every piece of text that reaches the SVG is escaped.
Amounts stay integers in the minor unit; labels are rendered in the reader's
locale with `app.i18n.formatting` (the same money format as the rest of the page),
so yen shows no decimals and rupees show paisa only where they exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from app.i18n.formatting import money, native_digits, number, zone_label
from app.money import decimals

WIDTH = 720
HEIGHT = 260
LEFT = 72  # room for the y-axis labels
RIGHT = 12
TOP = 16
BOTTOM = 44  # room for the date labels
TICKS = 4


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    amount: int  # minor units
    orders: int = 0


def nice_step(max_major: int, ticks: int = TICKS) -> int:
    """A round gridline step (1, 2, 2.5, 5 x 10^n) in whole major units."""
    rough = max(max_major / ticks, 1)
    magnitude = 10 ** (len(str(int(rough))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= rough and float(step).is_integer():
            return int(step)
    return 10 * magnitude


def _label(minor: int, currency: str) -> str:
    """Axis label: whole major units with separators (gridlines are round)."""
    return number(minor // 10 ** decimals(currency))


def sales_chart(points: list[DayPoint], currency: str, title: str) -> Markup:
    """Bars for the days with sales, a labelled y axis and dates along the x axis.

    Each bar carries a `<title>` (shown as a tooltip and read by screen readers)
    with the day, the amount and the number of orders.
    """
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slots = max(len(points), 1)
    slot_w = plot_w / slots
    bar_w = max(slot_w * 0.7, 1.0)
    scale = 10 ** decimals(currency)
    peak = max((p.amount for p in points), default=0)
    step_minor = nice_step(-(-peak // scale)) * scale
    top_value = step_minor * TICKS
    total = sum(p.amount for p in points)
    summary = (
        ngettext(
            "%(title)s: %(amount)s over %(num)s day",
            "%(title)s: %(amount)s over %(num)s days",
            len(points),
            title=title,
            amount=money(total, currency),
        )
        if total
        else _("%(title)s: no sales in this period", title=title)
    )

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="sales-chart" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(summary)}</title>",
    ]
    # Gridlines and y-axis labels.
    for i in range(TICKS + 1):
        value = step_minor * i
        y = TOP + plot_h - plot_h * value / top_value
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e4e7ec"/>'
        )
        out.append(
            f'<text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="#667085">{escape(_label(value, currency))}</text>'
        )
    out.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" fill="#667085" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})" text-anchor="middle">'
        f"{escape(currency.upper())}</text>"
    )
    # Axes.
    out.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" '
        f'stroke="#98a2b3"/>'
    )
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}" stroke="#98a2b3"/>'
    )
    # Bars, one per day with sales.
    label_every = max(1, round(slots / 6))
    for i, point in enumerate(points):
        x = LEFT + i * slot_w + (slot_w - bar_w) / 2
        if point.amount > 0:
            h = max(plot_h * point.amount / top_value, 1.0)
            y = TOP + plot_h - h
            orders = ngettext("%(num)s order", "%(num)s orders", point.orders)
            tip = (
                f"{point.day.isoformat()}: "
                f"{money(point.amount, currency)} ({native_digits(orders)})"
            )
            out.append(
                f'<rect class="bar" data-day="{point.day.isoformat()}" '
                f'data-amount="{point.amount}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="#1f6feb">'
                f"<title>{escape(tip)}</title></rect>"
            )
        if i % label_every == 0 or i == len(points) - 1:
            cx = LEFT + i * slot_w + slot_w / 2
            out.append(
                f'<text class="x-label" x="{cx:.1f}" y="{TOP + plot_h + 16}" '
                f'text-anchor="middle" fill="#667085">'
                f"{escape(native_digits(point.day.strftime('%m-%d')))}</text>"
            )
    axis = _("Date paid (%(zone)s)", zone=zone_label(dt.datetime(2000, 1, 1), "UTC"))
    out.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="#667085">{escape(axis)}</text>'
    )
    if not total:
        out.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" '
            f'text-anchor="middle" fill="#667085" font-size="14">'
            f"{escape(_('No sales in this period'))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - built from escaped parts only
