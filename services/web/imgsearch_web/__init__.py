"""The imgsearch web UI and JSON API: one Flask app per process, over one Library."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from imgsearch.config import Settings
    from imgsearch.library import Library

# What Terraform writes into a secret parameter nobody has filled in yet.
UNSET = "UNSET"
# Room for a multi-file upload: this many photos of the largest allowed size, plus form overhead.
FILES_PER_REQUEST = 20
# Files and fields in one multipart request; more is refused (413) before they are parsed.
MAX_FORM_PARTS = 1000


def create_app(
    config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    library: Library | None = None,
) -> Flask:
    """Build the app: settings read once, one Library, the local ingest worker, the blueprints.

    `config` holds Flask keys (TESTING, START_WORKER, ...) and, in lower case, Settings fields
    (data_dir, storage, ...) that override the environment, or the `settings` given. A `library`
    given brings its own settings.
    """
    # Imports stay inside: on Lambda, importing this package must cost nothing.
    import secrets
    from dataclasses import fields

    from flask import Flask

    from imgsearch.config import Settings, load_settings

    config = dict(config or {})
    setting_names = {f.name for f in fields(Settings)}
    overrides = {key: config.pop(key) for key in list(config) if key in setting_names}
    if settings is None:
        settings = library.settings if library is not None else load_settings(overrides=overrides)
    elif overrides:
        settings = settings.with_overrides(**overrides).validate()
    if library is None:
        from imgsearch.library import Library

        library = Library(settings)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings, library) or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * FILES_PER_REQUEST + 1024 * 1024,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        START_WORKER=True,
    )
    app.config.update(config)
    app.json.sort_keys = False

    worker = None
    if settings.storage == "local" and app.config["START_WORKER"]:
        from imgsearch.worker import IngestWorker

        worker = IngestWorker(library, settings.workers).start()
    app.extensions["imgsearch"] = library
    app.extensions["imgsearch_worker"] = worker

    from imgsearch.decodes import limit_decodes
    from imgsearch_web import api, auth, errors, gallery, images, search, security, templating, upload

    limit_decodes(settings.max_decodes)
    from imgsearch_web import multipart

    multipart.install()
    templating.register(app)
    errors.register(app)
    security.register(app)
    for module in (auth, gallery, upload, search, images, api):
        app.register_blueprint(module.bp)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok", "storage": settings.storage})
    return app


def _secret_key(settings: Settings, library: Library) -> str:
    """The session key: from settings, else from its SSM parameter (on AWS); empty means make one."""
    if settings.secret_key:
        return settings.secret_key
    if settings.ssm_secret_key_param:
        value = library.aws.secret(settings.ssm_secret_key_param)
        if value and value != UNSET:
            return value
        logging.getLogger(__name__).error(
            "%s is not set: sessions use a random key per container (set it with aws ssm put-parameter)",
            settings.ssm_secret_key_param,
        )
    return ""
