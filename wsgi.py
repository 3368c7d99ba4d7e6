"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import gc

from pollapp import create_app

app = create_app()
# Everything the app holds for its lifetime (modules, routes, schemas, the spec: ~190,000 objects) leaves
# the collector's generations: a full collection no longer walks them all every few requests. An
# uncached 200-poll list allocates tens of thousands of objects, and those walks were about a third of
# its CPU time on SQLite. With ``--preload`` this also keeps the forked workers' copies of these pages
# shared (the use the gc.freeze documentation gives).
gc.freeze()
