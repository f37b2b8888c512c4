"""CLI command modules of the core: serve, db, tenants, users, numbers, demo."""
