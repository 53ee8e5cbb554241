# The Celery app is loaded with Django so that tasks bind to it (`celery -A market ...`).
from market.celery import app as celery_app

__all__ = ("celery_app",)
