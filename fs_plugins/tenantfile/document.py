"""The tenant file as text: YAML in and out, and its JSON Schema.

PyYAML (safe_load / a SafeDumper): the file is data only, so the safe loader is all that is needed
(no tags, no objects), it is the most widely packaged YAML library (Debian's python3-yaml) and its
output is deterministic for the same input, which the byte-identical round trip needs. ruamel.yaml
would keep an operator's comments when a file is rewritten, but Centralita never rewrites a file
someone edited: it writes exports and reads files.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import yaml

from fs_plugins.errors import InvalidInput

VERSION = 1
SCHEMA_FILE = "centralita-tenant.schema.json"
# Editors with the YAML language server check the file against the schema named here; write it
# beside the file with `centralita tenant schema > centralita-tenant.schema.json`.
HEADER = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a repeated value is written again, never as &anchor/*alias
        return True


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None  # a contact's multi-line note stays readable
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(document: dict) -> str:
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=120, indent=2)
    return HEADER + body


def load(text: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise InvalidInput(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput("(file)", "expected a mapping with centralita, tenant, users…")
    return document


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(schema_text())


def schema_text() -> str:
    return resources.files("fs_plugins.tenantfile").joinpath("schema.json").read_text(encoding="utf-8")


def check(document: dict) -> None:
    """The document's shape against the JSON Schema; the first error names its YAML path."""
    import jsonschema  # only `apply` validates: export and the server never load it

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise InvalidInput(yaml_path(errors[0].absolute_path), errors[0].message)


def yaml_path(parts) -> str:
    """users[3].forwards.no_answer.seconds, from the parts of a path in the document."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"
