"""Front-end assets installed from npm at set-up time (never committed), served by the app."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory
from flask.typing import ResponseReturnValue

from portal.config import HTMX_SRI, HTMX_VERSION
from portal.web.lookups import found_or_404

bp = Blueprint("assets", __name__)

# Which npm folder each URL prefix maps to.
PACKAGES = {
    "nhsuk": ("nhsuk-frontend", "dist/nhsuk"),
    "htmx": ("htmx.org", "dist"),
    # The compiled NHS stylesheet asks for its icons at /assets/images/ (site root).
    "images": ("nhsuk-frontend", "dist/nhsuk/assets/images"),
}
ONE_DAY = 24 * 60 * 60


@bp.get("/assets/<package>/<path:filename>")
def asset(package: str, filename: str) -> ResponseReturnValue:
    name, subdir = found_or_404(PACKAGES.get(package))
    folder = Path(current_app.config["NODE_MODULES"]) / name / subdir
    return send_from_directory(folder, filename, max_age=ONE_DAY)


def htmx_sources() -> dict[str, str | None]:
    """Where the page loads htmx from: the CDN with its integrity hash, or only the local copy."""
    local = f"/assets/htmx/htmx.min.js?v={HTMX_VERSION}"
    if current_app.config["HTMX_LOCAL_ONLY"]:
        return {"cdn": None, "integrity": None, "local": local}
    return {"cdn": current_app.config["HTMX_CDN_URL"], "integrity": HTMX_SRI, "local": local}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["htmx_sources"] = htmx_sources
    missing = [
        name
        for name, _ in PACKAGES.values()
        if not (Path(app.config["NODE_MODULES"]) / name / "package.json").exists()
    ]
    if missing:
        app.logger.warning(
            "front-end packages missing from %s: %s (run 'make install')",
            app.config["NODE_MODULES"],
            ", ".join(missing),
        )
