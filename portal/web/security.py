"""Security headers and the Content-Security-Policy, with a nonce for the one inline script."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request
from flask_login import current_user


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    scripts = ["'self'", f"'nonce-{csp_nonce()}'"]
    if not current_app.config["HTMX_LOCAL_ONLY"]:
        # Exactly the pinned htmx file on the CDN, not the whole host.
        scripts.append(current_app.config["HTMX_CDN_URL"])
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # NHS.UK frontend's stylesheet loads the Frutiger font from the NHS asset server.
        "font-src": ["'self'", "https://assets.nhs.uk"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "manifest-src": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


#: Sent with every answer unless the view set its own.
EVERY_ANSWER = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the headers already set: asking Werkzeug for each missing one raises and
    # catches an exception per header, which is most of what this costs on a 304.
    present = {name.lower() for name, _ in headers.items()}
    wanted = [*EVERY_ANSWER, HSTS] if current_app.config["PRODUCTION"] else list(EVERY_ANSWER)
    if response.mimetype == "text/html":
        wanted.insert(0, ("Content-Security-Policy", content_security_policy()))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    if current_user.is_authenticated and request.endpoint != "static":
        # A signed-in page must not be kept by the browser or a shared cache.
        headers["Cache-Control"] = "no-store"
    headers.add("Vary", "HX-Request")
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
