"""The settings of the bare server in bench/api_overhead.py: Jointly's own,
but no middleware beyond allauth's (which refuses to start without it), and
only the two bare views of bench/api_bare_urls.py. Never used elsewhere."""

from config.settings import *  # noqa: F403

MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]
ROOT_URLCONF = "api_bare_urls"
