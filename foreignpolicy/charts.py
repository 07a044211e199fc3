"""Bar charts drawn on the server as SVG, each with the table it is drawn from.

Sizes are in the SVG's own units. A chart is drawn WIDTH units wide and shown at most
MAX_SCALE times that (site.css), so that its FONT_SIZE text reads at 10 px or more on a
320 px phone and at no more than 17 px on a desktop: the text is never smaller than the
chart's scale makes it, whatever the screen."""

import math
import textwrap
from dataclasses import dataclass, field

WIDTH = 400
FONT_SIZE = 14
CHARACTER_WIDTH = 7.6  # of FONT_SIZE text, on average, in the system font
BAR_GAP = 2
PLOT_HEIGHT = 150
TOP = 10  # above the plot, for the top number of the value axis
LABEL_HEIGHT = 22
AXIS_WIDTH = 34  # room for the value axis's numbers, at the left
MAX_STEP = 50  # a column's room, however few the years: enough for its label
MAX_BAR = 24  # and its bar, no block
ROW_HEIGHT = 24
LINE_HEIGHT = 16  # a second line of a horizontal bar's label
VALUE_ROOM = 34  # for the figure after a horizontal bar
LABEL_ROOM_SHARE = 0.45  # of the width, at most, for a horizontal bar's label
LABEL_SPACING = 1.6  # a year label's room, as a multiple of its own width
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)


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
    lines: list = field(default_factory=list)  # a horizontal bar's label: (text, y) each

    @property
    def centre(self):
        return round(self.x + self.width / 2, 2)

    @property
    def end(self):
        return round(self.x + self.width + 4, 2)


@dataclass
class Tick:
    value: int
    y: float


def column_chart(points):
    """Vertical bars for (label, value[, url]) points in order, e.g. agreements per year,
    with a value axis, and labels spaced so that they never run into each other."""
    points = list(points)
    if not points:
        return None
    top, ticks = value_axis(max(value for _, value, *_ in points))
    plot_width = WIDTH - AXIS_WIDTH
    step = min(plot_width / len(points), MAX_STEP)
    width = max(min(step - BAR_GAP, MAX_BAR), 1)
    left = AXIS_WIDTH + (plot_width - step * len(points)) / 2
    every = label_step(max(len(str(label)) for label, *_ in points), step)
    labelled = labelled_columns([label for label, *_ in points], every)
    bars = [
        Bar(
            label=str(label),
            value=value,
            x=round(left + index * step + (step - width) / 2, 2),
            y=round(TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT, 2),
            width=round(width, 2),
            height=round(value / top * PLOT_HEIGHT, 2),
            show_label=index in labelled,
            url=url[0] if url else "",
        )
        for index, (label, value, *url) in enumerate(points)
    ]
    return {
        "bars": bars,
        "ticks": [Tick(value, round(TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT, 2)) for value in ticks],
        "width": WIDTH,
        "height": TOP + PLOT_HEIGHT + LABEL_HEIGHT,
        "plot_bottom": TOP + PLOT_HEIGHT,
        "plot_left": AXIS_WIDTH,
        "font_size": FONT_SIZE,
    }


def value_axis(highest):
    """The axis's top and its ticks (0 and two or three round numbers up to the top)."""
    step = next((step for step in NICE_STEPS if highest / step <= 3), NICE_STEPS[-1])
    top = max(step * math.ceil(highest / step), step)
    return top, list(range(0, top + 1, step))


def label_step(characters, step):
    """Label at most every how many columns, so that labels of `characters` never meet."""
    room = characters * CHARACTER_WIDTH * LABEL_SPACING
    return next((every for every in NICE_STEPS if every * step >= room), NICE_STEPS[-1])


def labelled_columns(labels, every):
    """The columns that get their label: the first, then years on round numbers (2000,
    2010…; other labels by position), each at least `every` columns after the last."""
    chosen = []
    for index, label in enumerate(labels):
        round_one = int(label) % every == 0 if str(label).isdigit() else index % every == 0
        if not chosen or (round_one and index - chosen[-1] >= every):
            chosen.append(index)
    return set(chosen)


def bar_chart(points):
    """Horizontal bars for (label, value[, url]) points, e.g. agreements by status; the
    labels get the room the longest needs, up to LABEL_ROOM_SHARE of the width, and one too
    long for it is written on two lines."""
    points = list(points)
    if not points:
        return None
    top = max(value for _, value, *_ in points) or 1
    longest = max(len(str(label)) for label, *_ in points)
    label_width = min(longest * CHARACTER_WIDTH + 8, WIDTH * LABEL_ROOM_SHARE)
    characters = int((label_width - 8) / CHARACTER_WIDTH)
    room = WIDTH - label_width - VALUE_ROOM
    bars, y = [], 0
    for label, value, *url in points:
        lines = label_lines(str(label), characters)
        bars.append(
            Bar(
                label=str(label),
                value=value,
                x=round(label_width, 2),
                y=y + (len(lines) - 1) * LINE_HEIGHT / 2,
                width=round(max(value / top * room, 1 if value else 0), 2),
                height=ROW_HEIGHT - 6,
                show_label=True,
                url=url[0] if url else "",
                lines=[(line, y + 14 + number * LINE_HEIGHT) for number, line in enumerate(lines)],
            )
        )
        y += ROW_HEIGHT + (len(lines) - 1) * LINE_HEIGHT
    return {"bars": bars, "width": WIDTH, "height": y, "font_size": FONT_SIZE}


def label_lines(label, characters):
    """The label in lines of at most `characters`: two at most, the second cut if need be."""
    lines = textwrap.wrap(label, characters) or [""]
    if len(lines) <= 2:
        return lines
    second = " ".join(lines[1:])
    return [lines[0], second[: characters - 1] + "…"]


def years_with_gaps(counts):
    """Fill the years between the first and last with zeros, so that time reads evenly."""
    counts = dict(counts)
    if not counts:
        return []
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]
