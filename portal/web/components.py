"""What the portal's lean NHS.UK component macros (templates/nhs/) need from Python.

The design system's Jinja macros are slow to call (each includes a template, re-imports its parts
and renders attributes with a macro), so the portal writes its own macros for the markup they must
produce. They get from here an attributes filter, a `given` test, a check of their parameters, and
the design system's assets: its icons, its NHS logo and the inline script of its page template,
rendered by the library's own templates once per process, never copied into ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined
from markupsafe import Markup, escape


def html_attributes(attributes: Mapping[str, Any] | None) -> Markup:
    """An attributes dict as ` name="value"` pairs, as the design system's `attributes` param reads.

    A value may be given as `{"value": …, "optional": true}`: an optional attribute is left out
    when its value is None or false and written bare (` autofocus`) when it is true. Other values
    are escaped; booleans are written `true`/`false`, None as an empty value.
    """
    if not attributes or isinstance(attributes, Undefined):
        return Markup("")
    written = []
    for name, given in attributes.items():
        value, optional = given, False
        if isinstance(given, Mapping):
            value, optional = given.get("value"), bool(given.get("optional"))
        if isinstance(value, Undefined):
            value = None
        if optional and (value is None or value is False):
            continue
        if optional and value is True:
            written.append(f" {escape(name)}")
            continue
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(escape(value))
        # A Markup value may hold double quotes of its own (escape() leaves it as it is).
        quote = "'" if '"' in text else '"'
        written.append(f" {escape(name)}={quote}{text}{quote}")
    return Markup("".join(written))


@cache
def _keys(allowed: str) -> frozenset[str]:
    return frozenset(allowed.split())


def given(value: Any) -> bool:
    """The `given` test: a value an optional attribute is written for (not None, false or missing)."""
    return value is not None and value is not False and not isinstance(value, Undefined)


def only_supported(params: Mapping[str, Any], allowed: str) -> str:
    """Nothing, or an error when `params` has a key the calling lean macro does not implement.

    The lean macros implement only the parameters the portal passes: a new one must be added to
    the macro (and to tests/test_nhs_components.py) rather than be silently ignored.
    """
    extra = set(params) - _keys(allowed)
    if extra:
        raise TypeError(f"parameters not supported by the portal's lean macro: {sorted(extra)}")
    return ""


@cache
def _library() -> Environment:
    """The design system's own templates, to render its assets from."""
    return Environment(
        loader=PackageLoader("nhsuk_frontend_jinja"),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def icon(name: str) -> Markup:
    """The design system's icon `name` (its `nhsukIcon` macro), rendered once per process."""
    macro = _library().get_template("nhsuk/macros/icon.jinja").module.nhsukIcon  # type: ignore[attr-defined]  # a template's macros are attributes of its module
    return Markup(str(macro(name)).strip())


LOGO = re.compile(r'<svg class="nhsuk-header__logo".*?</svg>', re.S)


@cache
def logo() -> Markup:
    """The NHS logo as the design system's header draws it, rendered once per process."""
    header = _library().get_template("nhsuk/components/header/macro.jinja").module.header  # type: ignore[attr-defined]  # as above
    found = LOGO.search(str(header({})))
    if found is None:
        raise LookupError("the design system's header no longer draws the NHS logo as an <svg>")
    return Markup(found.group(0))


SCRIPT = re.compile(r"<body[^>]*>\s*<script[^>]*>(.*?)</script>", re.S)


@cache
def body_script() -> Markup:
    """The design system's inline script at the top of <body> (it marks what JavaScript supports)."""
    found = SCRIPT.search(_library().get_template("nhsuk/template.jinja").render())
    if found is None:
        raise LookupError("the design system's page template no longer starts <body> with a script")
    return Markup(found.group(1))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["nhs_attributes"] = html_attributes
    app.jinja_env.tests["given"] = given
    app.jinja_env.globals.update(
        nhs_icon=icon, nhs_logo=logo, nhs_body_script=body_script, nhs_only=only_supported
    )
