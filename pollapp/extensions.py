"""Unbound extension objects, bound to an app in :func:`pollapp.create_app`.

The flask-smorest ``Api`` lives with the HTTP layer (:mod:`pollapp.api`), so that the CLI and
services, which use the database, never import the web API.
"""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from pollapp.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)

# ---- HTTP edge (pollapp.web): rate limits and CORS; what and how is decided in pollapp.web.* ----
from flask_cors import CORS  # noqa: E402
from flask_limiter import Limiter  # noqa: E402
from flask_limiter.constants import HeaderNames  # noqa: E402

from pollapp.web import ratelimits as _ratelimits  # noqa: E402

limiter = Limiter(
    key_func=_ratelimits.bucket,
    application_limits=_ratelimits.APPLICATION_LIMITS,
    headers_enabled=True,
    header_name_mapping={HeaderNames.RETRY_AFTER: _ratelimits.LIMITER_RETRY_AFTER},
    swallow_errors=True,
    key_prefix="pollapp",
)
cors = CORS()
