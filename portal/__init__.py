"""The caesarean section network portal: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as settings
from portal.extensions import csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = settings.PROJECT_ROOT


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the portal. `test_config` overrides settings read from the environment."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    # NHS.UK frontend's Jinja macros expect chained look-ups of missing parameters to be empty.
    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [
                FileSystemLoader(str(PROJECT_ROOT / "templates")),
                PackageLoader("nhsuk_frontend_jinja"),
            ]
        ),
        "autoescape": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    instance_path = (test_config or {}).get("INSTANCE_PATH", app.instance_path)
    app.instance_path = instance_path
    app.config.from_mapping(settings.from_environment(instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        app.config.setdefault(
            "SQLALCHEMY_ENGINE_OPTIONS",
            {"connect_args": {"timeout": app.config["DB_LOCK_TIMEOUT_MS"] / 1000}},
        )
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)  # type: ignore[method-assign]  # Flask's documented way to add middleware

    logging.getLogger("portal").setLevel(app.config["LOG_LEVEL"])

    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.auth import passwords, sessions
    from portal.web import assets, components, errors, inputs, pagecache, security, templating
    from portal.web import logging as access_logging

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    inputs.init_app(app)  # before anything reads the request's values
    limiter.init_app(app)
    login_manager.init_app(app)
    passwords.init_app(app)
    sessions.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    components.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
    pagecache.init_app(app)  # after sessions: an ended session is dealt with first
    access_logging.init_app()

    # Every model module must be imported before migrations or queries run.
    from portal.assessments import models as _assessments  # noqa: F401
    from portal.audit import models as _audit  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.auth import tokens as _tokens  # noqa: F401
    from portal.events import models as _events  # noqa: F401
    from portal.mail import models as _mail  # noqa: F401
    from portal.measures import models as _measures  # noqa: F401
    from portal.regions import models as _regions  # noqa: F401
    from portal.registrations import models as _registrations  # noqa: F401
    from portal.robson import models as _robson  # noqa: F401
    from portal.stories import models as _stories  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    # Each feature's package holds its blueprint; importing its routes module attaches the views
    # (done here rather than in the package, so that models can be imported on their own).
    from portal import (
        admin,
        assessments,
        auth,
        events,
        feeds,
        measures,
        pages,
        regions,
        registrations,
        robson,
        stories,
    )
    from portal.admin import audit_log as _admin_audit_log  # noqa: F401
    from portal.admin import directory as _admin_directory  # noqa: F401
    from portal.admin import routes as _admin_routes  # noqa: F401
    from portal.assessments import routes as _assessments_routes  # noqa: F401
    from portal.auth import people_routes as _people_routes  # noqa: F401
    from portal.auth import routes as _auth_routes  # noqa: F401
    from portal.events import routes as _events_routes  # noqa: F401
    from portal.feeds import routes as _feeds_routes  # noqa: F401
    from portal.measures import routes as _measures_routes  # noqa: F401
    from portal.pages import events as _pages_events  # noqa: F401
    from portal.pages import measures as _pages_measures  # noqa: F401
    from portal.pages import regions as _pages_regions  # noqa: F401
    from portal.pages import routes as _pages_routes  # noqa: F401
    from portal.regions import routes as _regions_routes  # noqa: F401
    from portal.registrations import reminders as _reminders  # noqa: F401  (queued by mail send)
    from portal.registrations import routes as _registrations_routes  # noqa: F401
    from portal.robson import routes as _robson_routes  # noqa: F401
    from portal.stories import routes as _stories_routes  # noqa: F401

    for feature in (
        pages,
        regions,
        events,
        feeds,
        registrations,
        measures,
        robson,
        assessments,
        stories,
        auth,
        admin,
    ):
        app.register_blueprint(feature.bp)
    from portal.web.logging import redact_secret_parts_of

    redact_secret_parts_of(app.url_map)  # every route part named <token> is kept out of logs


def _register_commands(app: Flask) -> None:
    from portal.assessments.cli import toolkit_cli
    from portal.auth.cli import users_cli
    from portal.demo import demo_command
    from portal.mail.cli import mail_cli
    from portal.measures.cli import measures_cli
    from portal.regions.cli import seed_command, trusts_cli
    from portal.registrations.cli import privacy_cli
    from portal.robson.cli import robson_cli

    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(trusts_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(measures_cli)
    app.cli.add_command(robson_cli)
    app.cli.add_command(toolkit_cli)
