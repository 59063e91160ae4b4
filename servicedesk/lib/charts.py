"""Horizontal bar charts drawn on the server as SVG (templates/snippets/bar_chart.html): one row per category
(a month, a ladder level, a question), one bar per series, the value written at the bar's end. Long labels
fit on the left, nothing needs JavaScript under the CSP, and colours come from CSS classes
(static/css/portal.css) so that light and dark both read. The numbers are also given as a table."""

from dataclasses import dataclass, field

WIDTH = 480
CHARACTER_WIDTH = 9  # a digit or a capital of the 14 px labels (DejaVu Sans): "November 2026" fits
VALUE_WIDTH = 60  # room for the value written after the longest bar
BAR_HEIGHT = 16
BAR_GAP = 2
ROW_GAP = 10
LEGEND_HEIGHT = 24


@dataclass
class Chart:
    title: str
    width: int
    height: int
    legend: list  # [(series index, name)]
    rows: list = field(default_factory=list)


def _bar_length(value, maximum, label_width):
    room = WIDTH - label_width - VALUE_WIDTH
    return round(room * value / maximum, 1) if maximum and value else 0


def bar_chart(title, categories, series, *, maximum=None, show=str):
    """A Chart of `categories` ([(short label, full label)]) against `series` ([(name, [value or None per
    category])]). Bars are scaled to `maximum` (default: the largest value); `show` writes a value."""
    values = [value for _, column in series for value in column if value is not None]
    maximum = maximum or max(values, default=0)
    top = LEGEND_HEIGHT if len(series) > 1 else 0
    row_height = len(series) * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
    # The labels' column as wide as the longest label needs, up to half the chart.
    label_width = min(
        WIDTH // 2, 12 + CHARACTER_WIDTH * max((len(label) for label, _ in categories), default=0)
    )
    chart = Chart(
        title, WIDTH, top + row_height * len(categories), list(enumerate(name for name, _ in series))
    )
    for row_index, (label, full) in enumerate(categories):
        y = top + row_index * row_height
        bars = []
        for index, (_, column) in enumerate(series):
            value = column[row_index]
            length = _bar_length(value, maximum, label_width)
            bar_y = y + index * (BAR_HEIGHT + BAR_GAP)
            bars.append(
                {
                    "series": index,
                    "x": label_width,
                    "y": bar_y,
                    "width": length,
                    "height": BAR_HEIGHT,
                    "text": "–" if value is None else show(value),
                    "text_x": label_width + length + 4,
                    "text_y": bar_y + BAR_HEIGHT - 4,
                }
            )
        label_y = y + (len(series) * (BAR_HEIGHT + BAR_GAP)) / 2 + 4
        chart.rows.append(
            {"label": label, "full": full, "y": label_y, "label_x": label_width - 6, "bars": bars}
        )
    return chart
