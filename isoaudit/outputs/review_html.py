"""The management review as a web page: sections shown in the notebook, then the executed notebook exported
without code (nbconvert) into a self-contained page readable on a phone, with a reproducibility footer.

Every text that comes from the records (procedure names, feedback, findings) is HTML-escaped here; charts
are PNG images embedded in the page (base64), so the file can be mailed or opened offline.
"""
from __future__ import annotations

import base64
import html
import threading
from pathlib import Path

from isoaudit import __version__
from isoaudit.i18n import format_date, label
from isoaudit.outputs.charts import SCREEN_WIDTH_PX, chart_png
from isoaudit.safety import atomic_write

PAGE_CSS = """
body { font-family: "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; color: #1d1d1d;
       line-height: 1.5; margin: 0; background: #fafafa; }
main.iso-report, footer.iso-footer { max-width: 62rem; margin: 0 auto; padding: 1rem 1.25rem; background: #fff; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.2rem; margin: 1.6rem 0 .5rem;
     border-bottom: 2px solid #1f5f99; padding-bottom: .2rem; }
.iso-subtitle { color: #444; margin: 0 0 .2rem; }
.iso-warning { background: #fff4e0; border-left: 4px solid #e69500; padding: .45rem .75rem; margin: .5rem 0; }
.iso-table { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .4rem 0 1.2rem; }
.iso-table table { border-collapse: collapse; font-size: .9rem; min-width: 100%; }
.iso-caption, .iso-table caption { font-weight: 600; margin: .8rem 0 .2rem; text-align: left; }
.iso-table th, .iso-table td { border: 1px solid #c9d3dd; padding: .3rem .5rem; vertical-align: top; }
.iso-table th { background: #e8f0f8; text-align: left; }
.iso-table td.num { text-align: right; white-space: nowrap; }
.iso-table td.text { min-width: 9rem; }
.iso-table td:first-child, .iso-table th:first-child { position: sticky; left: 0; background: #fff; }
.iso-table th:first-child { background: #e8f0f8; }
figure.iso-chart { margin: .8rem 0 1.2rem; } figure.iso-chart figcaption { font-weight: 600; margin-bottom: .2rem; }
img { max-width: 100%; height: auto; }
.jp-OutputArea-output pre { white-space: pre-wrap; }
footer.iso-footer { font-size: .8rem; color: #444; border-top: 1px solid #ccc; margin-top: 2rem; }
footer.iso-footer td { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
@media (max-width: 640px) {
  main.iso-report, footer.iso-footer { padding: .6rem; }
  body { font-size: 15px; } .iso-table table { font-size: .8rem; } h1 { font-size: 1.25rem; }
}
"""


# ---- fragments (used in the notebook) ------------------------------------------------------------------------
def header_html(pack) -> str:
    """The report's heading: title, unit, period and the date the figures are taken at."""
    t = _t(pack.lang)
    return (f'<h1>{_e(t("html.report"))}: {_e(pack.title)}</h1>'
            f'<p class="iso-subtitle">{_e(pack.unit_name)}'
            + (f" - {_e(pack.parent_name)}" if pack.parent_name else "") + "</p>"
            f'<p class="iso-subtitle">{_e(t("html.period", year=pack.year, as_of=format_date(pack.as_of)))}</p>')


def section_html(section) -> str:
    """A section's heading, warnings and sentences (charts and tables are shown separately, in order)."""
    parts = [f"<h2>{_e(section.heading)}</h2>"]
    prefix = label("review.warning_prefix", section.lang)
    parts += [f'<div class="iso-warning" role="note"><strong>⚠ {_e(prefix)}:</strong> {_e(w)}</div>'
              for w in section.warnings]
    parts += [f"<p>{_e(s)}</p>" for s in section.sentences]
    return "\n".join(parts)


def table_html(table) -> str:
    """A captioned table, horizontally scrollable on a narrow screen; every cell escaped."""
    shown = table.display()
    numeric = table.numeric()
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in shown.columns)
    rows = []
    for values in shown.itertuples(index=False, name=None):
        cells = "".join(f'<td class="num">{_e(v)}</td>' if number else
                        f'<td class="text">{_e(v)}</td>' if len(str(v)) > 24 else f"<td>{_e(v)}</td>"
                        for v, number in zip(values, numeric))
        rows.append(f"<tr>{cells}</tr>")
    # The title sits outside the scrolling box, so it wraps to the screen even when the table scrolls.
    return (f'<p class="iso-caption">{_e(table.caption)}</p>'
            f'<div class="iso-table"><table aria-label="{_e(table.caption)}">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def chart_html(chart) -> str:
    """The chart as an embedded PNG (base64) in a figure, its caption as text and as the image's alt text."""
    data = base64.b64encode(chart_png(chart)).decode("ascii")
    return (f'<figure class="iso-chart"><figcaption>{_e(chart.caption)}</figcaption>'
            f'<img src="data:image/png;base64,{data}" width="{SCREEN_WIDTH_PX}" alt="{_e(chart.caption)}">'
            "</figure>")


def show_header(pack) -> None:
    """Display the report heading in a notebook."""
    from IPython.display import HTML, display

    display(HTML(header_html(pack)))


def show_section(section) -> None:
    """Display one section in a notebook: text, then each chart (PNG) with its caption, then each table."""
    from IPython.display import HTML, display

    display(HTML(section_html(section)))
    for chart in section.charts:
        display(HTML(chart_html(chart)))
    for table in section.tables:
        display(HTML(table_html(table)))


# ---- the page ----------------------------------------------------------------------------------------------------
def page_title(pack) -> str:
    """The review page's title (the browser tab, the district page's link)."""
    return f'{label("review.html.report", pack.lang)}: {pack.title} - {pack.unit_name}'


def export_notebook_page(executed_notebook, path, title: str, lang: str, inputs, parameters: dict,
                         version: str = __version__) -> Path:
    """Write an executed notebook as a page without code, prompts or notebook notes (markdown cells), with a
    viewport for phones and a footer naming the input files (``inputs``: file, sha256), the parameters and
    the isoaudit version; atomically."""
    import nbformat

    notebook = nbformat.read(str(executed_notebook), as_version=4)
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            # Warnings a library printed are for the analyst, not for the report's readers.
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    body, _ = page_exporter().from_notebook_node(notebook)
    page = page_html(body, title, lang, footer_html(inputs, parameters, version, lang))
    path = Path(path)
    with atomic_write(path, "w") as handle:
        handle.write(page)
    return path


def page_exporter():
    """This thread's exporter of outputs without code: made once, since it compiles its templates."""
    exporter = getattr(_exporters, "page", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _exporters.page = HTMLExporter(template_name="basic", exclude_input=True,
                                                  exclude_input_prompt=True, exclude_output_prompt=True,
                                                  exclude_markdown=True)
    return exporter


_exporters = threading.local()


def page_html(body: str, title: str, lang: str, footer: str) -> str:
    """A complete page around ``body`` (the exported notebook outputs)."""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
            f'<main class="iso-report">\n{body}\n</main>\n{footer}\n</body>\n</html>\n')


def footer_html(inputs, parameters: dict, version: str, lang: str) -> str:
    """Input files with their SHA-256, the parameters and the isoaudit version: enough to redo the report."""
    t = _t(lang)
    files = "".join(f"<tr><th>{_e(row.file)}</th><td>{_e(row.sha256)}</td></tr>"
                    for row in inputs.itertuples(index=False))
    shown = ", ".join(f"{_e(k)}={_e(v)}" for k, v in parameters.items())
    return (f'<footer class="iso-footer">\n<p><strong>{_e(t("footer.heading"))}</strong></p>\n'
            f'<p>{_e(t("footer.version", version=version))}</p>\n'
            f'<p>{_e(t("footer.parameters"))}: {shown}</p>\n'
            f'<div class="iso-table"><table><caption>{_e(t("footer.inputs"))}</caption>'
            f'<thead><tr><th scope="col">{_e(t("footer.file"))}</th><th scope="col">SHA-256</th></tr></thead>'
            f"<tbody>{files}</tbody></table></div>\n</footer>")


def _t(lang: str):
    return lambda key, **params: label(f"review.{key}", lang, **params)


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)
