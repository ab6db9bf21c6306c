"""WSGI entry point: ``gunicorn wsgi:app``."""

from assettrack import create_app

app = create_app()
