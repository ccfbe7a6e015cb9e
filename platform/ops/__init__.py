"""Operations: health and readiness probes, structured logs, metrics, error
reporting, and what a request does when the database blips (docs/operating.md)."""
