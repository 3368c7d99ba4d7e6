"""Unbound extension objects, bound to an app in :func:`pollapp.create_app`.

The flask-smorest ``Api`` lives with the HTTP layer (:mod:`pollapp.api`), so that the CLI and
services, which use the database, never import the web API.
"""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from pollapp.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)

# The HTTP edge's extensions (the rate limiter, Flask-Cors' ``cors``) live with the code that
# configures them, in :mod:`pollapp.web`: every layer imports this module, and none may depend on the edge.
