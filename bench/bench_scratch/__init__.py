"""An app of the migration benchmark's own (bench/migrate_all.py), with no
models: its migrations, written to a temporary folder as the benchmark runs,
each add a small table to every authority's schema. Only
bench/migrate_settings.py installs it."""
