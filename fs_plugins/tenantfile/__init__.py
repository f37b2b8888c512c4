"""Tenants as declarative files: `centralita tenant export DOMAIN` and `centralita apply FILE`.

export.py reads a tenant through the application layer into the file's document (plain dicts,
references by name); plan.py compares two documents (pure); apply.py makes the database match a
document through the features' app.py functions in one transaction; schema.json is the file's
JSON Schema; document.py reads and writes the YAML.
"""
