"""Gunicorn for `make run` and production. Settings come from the environment."""

import os

bind = os.environ.get("JOINTLY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190  # the longest address accepted (gunicorn maximum); longer is a 414

# Request metrics from every worker, summed at scrape time (prometheus_client's
# multiprocess mode: PROMETHEUS_MULTIPROC_DIR and the hooks that clear it at
# start and drop a dead worker's files), and gunicorn's own lines as JSON in
# production (docs/operating.md, Logs and Metrics).
from ops.gunicorn import child_exit, logconfig_dict, on_starting  # noqa: E402,F401
