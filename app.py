"""Entry point for `flask --app app …` and for WSGI servers (gunicorn app:app)."""

import gc

from portal import create_app

app = create_app()

# The app, its templates and its models stay for the worker's life: moved out of the collector's
# sight, they are not walked again on each full collection. A request makes many short-lived
# objects, so young collections run less often than Python's default (700 allocations). Over the
# pages of bench/dataset.py, in process, the collector took 9% of the time before, 4% after.
gc.freeze()
gc.set_threshold(10_000, 20, 20)
