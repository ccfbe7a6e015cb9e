"""The settings of the bare server in bench/api_overhead.py: Jointly's own,
but no middleware at all and only the two bare views of bench/api_bare_urls.py.
Never used elsewhere."""

from config.settings import *  # noqa: F403

MIDDLEWARE = []
ROOT_URLCONF = "api_bare_urls"
