"""Unbound extension objects, bound to an app in :func:`pollapp.create_app`."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from pollapp.api.problems import ProblemApi
from pollapp.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
api = ProblemApi()
