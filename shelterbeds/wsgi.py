"""WSGI entry point for gunicorn: `gunicorn shelterbeds.wsgi:app`."""

from . import create_app

app = create_app()
