"""Charts of a management-review pack: matplotlib figures and PNG bytes, one per ``ReviewChart``.

Figures are built on ``matplotlib.figure.Figure`` (no pyplot, no global state), so they render the same in
a notebook kernel, a command-line run and a test. DejaVu Sans (matplotlib's default) has every Vietnamese
diacritic. The chart's title is its caption in the page and the Word report (with its number), so the image
itself carries none; ``with_title=True`` puts it in the image for use on its own.

Each chart is rendered once, at print resolution, and the same PNG goes into the page (shown at screen size)
and the Word report: a review has several charts and rendering them is a good part of its cost.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

WIDTH_INCHES = 6.4  # fits an A4 page between margins at print size, and a phone screen scaled down
HEIGHT_INCHES = 3.2
DPI = 150  # print resolution for the Word report; the page shows the image at SCREEN_DPI
SCREEN_DPI = 120
SCREEN_WIDTH_PX = round(WIDTH_INCHES * SCREEN_DPI)  # the width a page shows every chart at
FONT_SIZE = 10
_COLOURS = ("#1f5f99", "#d9822b", "#5b9e47", "#b23b3b", "#7a5ea8")


def chart_figure(chart, with_title: bool = False) -> Figure:
    """The figure of one ``ReviewChart``: its data as bars or lines, a legend below when there are several
    series or a target line."""
    data = chart.data
    height = HEIGHT_INCHES
    if chart.kind == "barh":
        height = max(HEIGHT_INCHES, 0.34 * len(data) + 1.3)  # one readable line per category
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    labels = [str(v) for v in data.index]
    positions = np.arange(len(labels))
    series = list(data.columns)
    if chart.kind == "line":
        for number, name in enumerate(series):
            values = data[name].astype(float).to_numpy()
            axes.plot(positions, values, marker="o", color=_COLOURS[number % len(_COLOURS)], label=str(name))
        axes.set_xticks(positions, labels)
    else:
        # Bars side by side per category, the same code for both orientations.
        horizontal = chart.kind == "barh"
        width = 0.8 / max(len(series), 1)
        draw = axes.barh if horizontal else axes.bar
        for number, name in enumerate(series):
            values = data[name].astype(float).to_numpy()
            draw(positions + number * width, np.nan_to_num(values), width, color=_COLOURS[number % len(_COLOURS)],
                 label=str(name))
        ticks = positions + width * (len(series) - 1) / 2
        if horizontal:
            axes.set_yticks(ticks, labels)
            axes.invert_yaxis()  # the first row of the table on top
        else:
            axes.set_xticks(ticks, labels)
            if max((len(label) for label in labels), default=0) > 6:
                axes.tick_params(axis="x", labelrotation=30)
    value_axis = axes.xaxis if chart.kind == "barh" else axes.yaxis
    if chart.percent:
        value_axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f} %"))
    elif chart.integer:
        value_axis.set_major_locator(MaxNLocator(integer=True))
    if chart.target is not None:
        line = axes.axvline if chart.kind == "barh" else axes.axhline
        line(chart.target, color="#444444", linestyle="--", linewidth=1, label=chart.target_label or None)
    if chart.value_label:
        (axes.set_xlabel if chart.kind == "barh" else axes.set_ylabel)(chart.value_label)
    if with_title:
        axes.set_title(chart.caption, fontsize=FONT_SIZE + 1, loc="left", wrap=True)
    axes.tick_params(labelsize=FONT_SIZE)
    axes.grid(axis="x" if chart.kind == "barh" else "y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1 or chart.target_label:
        # Below the plot, where it never hides a bar or a point.
        figure.legend(loc="outside lower center", ncols=len(series) + 1, fontsize=FONT_SIZE - 1, frameon=False)
    return figure


def chart_png(chart, dpi: int = DPI, with_title: bool = False) -> bytes:
    """The chart as PNG bytes (for the notebook, the Word document and tests), rendered once per chart."""
    key = (dpi, with_title)
    if key not in chart.rendered:
        chart.rendered[key] = _png(chart_figure(chart, with_title), dpi)
    return chart.rendered[key]


def _png(figure: Figure, dpi: int) -> bytes:
    """``figure`` drawn at ``dpi`` and written as an RGB PNG. On its white background there is nothing to be
    transparent, and a lighter compression than savefig's: PNG writing was a third of a chart's cost, for a few
    per cent more bytes (a province's batch draws five charts for each of its 150 units)."""
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png", compress_level=3, dpi=(dpi, dpi))
    return buffer.getvalue()
