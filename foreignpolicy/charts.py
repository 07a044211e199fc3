"""Bar charts drawn on the server as SVG, each with the table it is drawn from."""

from dataclasses import dataclass

WIDTH = 640
BAR_GAP = 2
LABEL_HEIGHT = 18
PLOT_HEIGHT = 160
ROW_HEIGHT = 22
LABEL_WIDTH = 190


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool
    url: str = ""


def column_chart(points, label_every=1):
    """Vertical bars for (label, value[, url]) points in order, e.g. agreements per year."""
    points = list(points)
    if not points:
        return None
    top = max(value for _, value, *_ in points) or 1
    step = WIDTH / len(points)
    bars = [
        Bar(
            label=str(label),
            value=value,
            x=round(index * step + BAR_GAP / 2, 2),
            y=round(PLOT_HEIGHT - value / top * PLOT_HEIGHT, 2),
            width=round(max(step - BAR_GAP, 1), 2),
            height=round(value / top * PLOT_HEIGHT, 2),
            show_label=index % label_every == 0 or index == len(points) - 1,
            url=url[0] if url else "",
        )
        for index, (label, value, *url) in enumerate(points)
    ]
    return {"bars": bars, "width": WIDTH, "height": PLOT_HEIGHT + LABEL_HEIGHT, "plot_height": PLOT_HEIGHT}


def bar_chart(points):
    """Horizontal bars for (label, value[, url]) points, e.g. agreements by status."""
    points = list(points)
    if not points:
        return None
    top = max(value for _, value, *_ in points) or 1
    room = WIDTH - LABEL_WIDTH - 40
    bars = [
        Bar(
            label=str(label),
            value=value,
            x=LABEL_WIDTH,
            y=index * ROW_HEIGHT,
            width=round(max(value / top * room, 1 if value else 0), 2),
            height=ROW_HEIGHT - 6,
            show_label=True,
            url=url[0] if url else "",
        )
        for index, (label, value, *url) in enumerate(points)
    ]
    return {"bars": bars, "width": WIDTH, "height": len(points) * ROW_HEIGHT, "label_width": LABEL_WIDTH}


def years_with_gaps(counts):
    """Fill the years between the first and last with zeros, so that time reads evenly."""
    counts = dict(counts)
    if not counts:
        return []
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]
