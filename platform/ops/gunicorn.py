"""gunicorn settings and hooks from operations, imported by
deploy/gunicorn.conf.py: metrics from every web worker (prometheus_client's
multiprocess mode: importing this module sets PROMETHEUS_MULTIPROC_DIR,
unless set, before any worker starts, so each worker writes its samples
there and a scrape of any worker sums them), and gunicorn's own log lines in
the service's format.
"""

import os
import shutil
import tempfile

from ops.logs import logging_config

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="jointly-metrics-"))

# gunicorn's own lines (the master's too) in the service's format: JSON in
# production; in development gunicorn keeps its own text lines.
_FORMAT = os.environ.get("LOG_FORMAT") or (
    "plain" if os.environ.get("JOINTLY_ENV", "").strip().lower() == "development" else "json")
logconfig_dict = logging_config(fmt="json", level=os.environ.get("LOG_LEVEL", "INFO")) if _FORMAT == "json" else {}


def on_starting(server):
    """A fresh directory per start: samples of an earlier run would add up."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
