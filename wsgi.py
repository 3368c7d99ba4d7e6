"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from pollapp import create_app

app = create_app()
