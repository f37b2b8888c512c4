"""A second connection to the test's database: what another process (the API, the CLI) commits."""
from __future__ import annotations

import pytest

from fs_plugins import db as dbmod


@pytest.fixture
def elsewhere(db_url):
    """Another connection to the same database, as another process (the API, the CLI) has."""
    other = dbmod.open_database(db_url)
    other.connect()
    yield other
    other.close()
