"""Every HTML page and fragment isoaudit writes comes from a Jinja template in ``isoaudit/templates``.

``render(name, **context)`` escapes every value by default: unit and procedure names, answers, notes and
feedback come from spreadsheets people typed, so none is trusted as markup. A value that is already safe
HTML (an exported notebook body, a fragment rendered by another template) is passed as
``markupsafe.Markup`` by the caller, deliberately and with a comment saying why.
"""
from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape


def render(name: str, **context) -> str:
    """The template ``name`` (a file of ``isoaudit/templates``, e.g. ``"review_page.html.j2"``) rendered with
    ``context``; values are HTML-escaped unless they are ``markupsafe.Markup``, and None shows as nothing."""
    return _environment().get_template(name).render(**context)


@cache
def _environment() -> Environment:
    # Made once: the environment caches its compiled templates; rendering from several threads is safe.
    return Environment(loader=PackageLoader("isoaudit", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True,
                       finalize=lambda value: "" if value is None else value)
