import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application

from search.fastpath import SearchFastPathHandler  # noqa: E402  (needs the apps loaded)

# Django's WSGI handler, answering a guest's plain search API GET itself (search/fastpath.py).
application = SearchFastPathHandler()


def _register_tasks() -> None:
    """Import every app's tasks.py now, while the worker boots: `market.background` needs them
    registered to run or publish a task, and importing them inside the first request that queues
    one took 0.7 s alone and seconds under load (bench/checkout_race.py: every first checkout of
    a process waited for it)."""
    from market.celery import app

    app.loader.import_default_modules()


_register_tasks()
