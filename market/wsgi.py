import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
application = get_wsgi_application()


def _register_tasks() -> None:
    """Import every app's tasks.py now, while the worker boots: `market.background` needs them
    registered to run or publish a task, and importing them inside the first request that queues
    one took 0.7 s alone and seconds under load (bench/checkout_race.py: every first checkout of
    a process waited for it)."""
    from market.celery import app

    app.loader.import_default_modules()


_register_tasks()
