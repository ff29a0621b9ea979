"""The management review as a web page: sections shown in the notebook, then the executed notebook exported
without code (nbconvert) into a self-contained page readable on a phone, with a reproducibility footer.

The markup and the style are the ``review_*.html.j2`` templates (``outputs.templates.render``), which escape
every text that comes from the records (procedure names, feedback, findings); charts are PNG images
embedded in the page (base64), so the file can be mailed or opened offline.
"""
from __future__ import annotations

import base64
import threading
from pathlib import Path

from markupsafe import Markup

from isoaudit import __version__
from isoaudit.i18n import format_date, label
from isoaudit.notebook_format import load_notebook_format
from isoaudit.outputs.charts import SCREEN_WIDTH_PX, chart_png
from isoaudit.outputs.templates import render
from isoaudit.safety import atomic_write


# ---- fragments (used in the notebook) ------------------------------------------------------------------------
def header_html(pack) -> str:
    """The report's heading: title, unit, period and the date the figures are taken at."""
    return render("review_header.html.j2", t=_t(pack.lang), pack=pack, as_of=format_date(pack.as_of))


def section_html(section) -> str:
    """A section's heading, warnings and sentences (charts and tables are shown separately, in order)."""
    return render("review_section.html.j2", section=section,
                  warning_prefix=label("review.warning_prefix", section.lang))


def table_html(table) -> str:
    """A captioned table, horizontally scrollable on a narrow screen; every cell escaped."""
    shown = table.display()
    numeric = table.numeric()
    rows = [list(zip(values, numeric)) for values in shown.itertuples(index=False, name=None)]
    return render("review_table.html.j2", caption=table.caption, headers=list(shown.columns), rows=rows)


def chart_html(chart) -> str:
    """The chart as an embedded PNG (base64) in a figure, its caption as text and as the image's alt text."""
    return render("review_chart.html.j2", caption=chart.caption, width=SCREEN_WIDTH_PX,
                  png_base64=base64.b64encode(chart_png(chart)).decode("ascii"))


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
    load_notebook_format()
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
        exporter = _exporters.page = _page_exporter_class()(template_name="basic", exclude_input=True,
                                                             exclude_input_prompt=True, exclude_output_prompt=True,
                                                             exclude_markdown=True)
    return exporter


def _page_exporter_class():
    """nbconvert's HTML exporter without its last pass (imported when first needed: nbconvert is slow to import)."""
    load_notebook_format()
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        """``HTMLExporter`` without the pass that parses the whole page again with BeautifulSoup (in Python: two
        thirds of a review page's export, a batch exports two pages a unit) to give images without one a generic
        alt text and make JupyterLab-styled cells focusable. Our charts carry their own alt text and the basic
        template has no such cells: the pass changed nothing but the page's whitespace. Nor is the notebook validated
        again after each preprocessor."""

        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7.16 and later).
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", data_types)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        def _validate_preprocessor(self, nbc, preprocessor):
            """Not done: nbconvert validates the whole notebook after each of its dozen preprocessors, which only
            remove or restyle parts of a notebook papermill wrote and nbformat read (and validated) just before."""

    return PageExporter


_exporters = threading.local()


def page_html(body: str, title: str, lang: str, footer: str) -> str:
    """A complete page around ``body`` (the exported notebook outputs) with ``footer`` (``footer_html``)."""
    # Both are markup already: the body is nbconvert's export of outputs our templates rendered escaped, the
    # footer is ``footer_html``'s. Escaping them again would show tags as text.
    return render("review_page.html.j2", body=Markup(body), title=title, lang=lang, footer=Markup(footer))


def footer_html(inputs, parameters: dict, version: str, lang: str) -> str:
    """Input files with their SHA-256, the parameters and the isoaudit version: enough to redo the report."""
    files = [(row.file, row.sha256) for row in inputs.itertuples(index=False)]
    return render("review_footer.html.j2", t=_t(lang), files=files, parameters=parameters, version=version)


def _t(lang: str):
    return lambda key, **params: label(f"review.{key}", lang, **params)
