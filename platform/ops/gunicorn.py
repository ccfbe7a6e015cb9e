"""gunicorn hooks for metrics from every web worker (prometheus_client's
multiprocess mode). deploy/gunicorn.conf.py imports them; importing this
module sets PROMETHEUS_MULTIPROC_DIR (unless set) before any worker starts,
so each worker writes its samples there and a scrape of any worker sums them.
"""

import os
import shutil
import tempfile

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="jointly-metrics-"))


def on_starting(server):
    """A fresh directory per start: samples of an earlier run would add up."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
