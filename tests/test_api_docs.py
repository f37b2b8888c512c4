"""docs/api.md lists every operation of the OpenAPI document, as it is now."""
from __future__ import annotations

from pathlib import Path

from fs_plugins.api import reference

DOC = Path(__file__).parent.parent / "docs" / "api.md"


def test_the_operations_table_in_docs_api_md_matches_the_document():
    text = DOC.read_text()
    assert text == reference.rewrite(text, reference.spec()), "run: python -m fs_plugins.api.reference docs/api.md"
