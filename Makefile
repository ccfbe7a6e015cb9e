# The two commands (README.md): `make run` and `make test`. Both set up what
# they need first and are safe to run again.
SHELL := /bin/bash
PY := .venv/bin/python
export PYTHONUNBUFFERED := 1
# These targets are for a developer's machine: development settings (DEBUG and
# known local keys) are turned on here, explicitly. Production leaves JOINTLY_ENV
# unset and must supply its keys (docs/operating.md); tests set their own.
export JOINTLY_ENV ?= development

.PHONY: run test setup db demo web worker beat bench bench-directory bench-directory-authorities bench-bids \
	bench-bids-500 bench-api bench-migrate bench-provisioning fuzz check deploy-check lint lock clean

run: setup db demo  ## set up, migrate, seed the demo region and serve it
	@$(PY) manage.py seed_demo --print-only
	@exec .venv/bin/honcho --procfile deploy/Procfile --app-root . start

# The suite runs in parallel: a worker process per core, at most four, each with its own test
# database and Redis databases (tests/parallel.py). PYTEST_ARGS=-n0 runs it in one process.
test:  ## set up, lint, and run the whole test suite against real PostgreSQL, Redis and Chromium
	@bash deploy/setup.sh --browser
	@.venv/bin/ruff check .
	@$(PY) -m pytest -n auto --maxprocesses 4 $(PYTEST_ARGS)

setup:
	@bash deploy/setup.sh

db: setup  ## the owner and application roles, the database, its migrations (run as the owner)
	@$(PY) deploy/ensure_database.py
	@$(PY) manage.py migrate_all --verbosity 0

demo: db
	@$(PY) manage.py seed_demo --no-guide

web: db  ## the web process alone
	@exec .venv/bin/gunicorn config.wsgi --config deploy/gunicorn.conf.py

worker: db  ## a Celery worker alone: every queue, or CELERY_WORKER_QUEUES (e.g. deadlines,mail)
	@exec .venv/bin/celery --app config worker --loglevel INFO $${CELERY_WORKER_QUEUES:+--queues $$CELERY_WORKER_QUEUES}

beat: db  ## Celery beat alone
	@exec .venv/bin/celery --app config beat --loglevel INFO --schedule var/celerybeat-schedule

bench: setup  ## benchmarks (not part of CI, own databases); figures go to docs/benchmarks.md
	@$(PY) bench/provisioning.py
	@$(PY) bench/directory.py

bench-directory: setup  ## the public directory benchmark alone (10,000 providers in jointly_bench_directory)
	@$(PY) bench/directory.py

bench-bids: setup  ## the bid storm: 200 providers bid through the API before a deadline (own database, BENCH_ARGS)
	@DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jointly_bench_bids} \
	  DATABASE_OWNER_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jointly_bench_bids} \
	  $(PY) bench/bid_storm.py $(BENCH_ARGS)

bench-bids-500: setup  ## 500 providers bid, spread over the minute then in one second, each beside 200 (about 25 min)
	@$(MAKE) --no-print-directory bench-bids BENCH_ARGS="--providers 200 500 --runs 3 --lead 120"
	@$(MAKE) --no-print-directory bench-bids BENCH_ARGS="--providers 200 500 --runs 3 --window 1 --margin 45 --lead 120"

bench-directory-authorities: setup  ## the directory with its providers in 100 authorities, beside 8 (own databases)
	@$(PY) bench/directory.py --authorities 8 100 --rounds 2

bench-api: setup  ## an authority's API list against bare Django and DRF views, each served by gunicorn (own database)
	@$(PY) bench/api_overhead.py $(BENCH_ARGS)

bench-migrate: setup  ## migrate_all over 1, 10 and 200 authority schemas, applying one migration and none (own databases)
	@$(PY) bench/migrate_all.py $(BENCH_ARGS)

bench-provisioning: setup  ## provisioning an authority with 200 present, then 1 (own database)
	@$(PY) bench/provisioning.py --present 200 1 --runs 5 $(BENCH_ARGS)

fuzz: setup  ## schemathesis over the whole API, as staff and as a provider, against a real server (minutes)
	@$(PY) -m pytest tests/fuzz -m fuzz -p no:randomly -s $(PYTEST_ARGS)

deploy-check:  ## render and validate deploy/ (kustomize overlays, Compose file) and build the image with podman
	@bash deploy/check.sh

lint:
	@.venv/bin/ruff check .

check: setup
	@$(PY) manage.py check --deploy --fail-level ERROR

lock:  ## re-pin Python dependencies after changing pyproject.toml
	@.venv/bin/pip-compile -q --extra dev --strip-extras --no-emit-find-links --no-emit-index-url \
	  --no-emit-trusted-host --allow-unsafe -o requirements.lock pyproject.toml

clean:
	rm -rf .venv node_modules var
