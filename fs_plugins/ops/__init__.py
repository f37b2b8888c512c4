"""Running Centralita for real: /metrics, /healthz and /readyz, `centralita doctor`, backups."""
