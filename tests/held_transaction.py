"""Another process's transaction holding locks for a while, from its own thread and connection: what a
request of a real `serve` must then wait for (tests/test_api_deadline.py, tests/test_portal_deadline.py)."""
from __future__ import annotations

import threading
import time

import peewee

from fs_plugins import db as dbmod


class HeldTransaction:
    """SQLite's write lock (BEGIN IMMEDIATE), or on PostgreSQL what `take` locks, for `seconds`;
    entered once the locks are held."""

    def __init__(self, url: str, seconds: float):
        self.db, self.seconds = dbmod.open_database(url), seconds
        self.taken = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def take(self, db: peewee.Database) -> None:
        """The statements taking PostgreSQL's locks, inside the transaction."""
        raise NotImplementedError

    def _hold(self) -> None:
        self.db.connect()
        try:
            if isinstance(self.db, peewee.PostgresqlDatabase):
                with self.db.atomic():
                    self.take(self.db)
                    self.taken.set()
                    time.sleep(self.seconds)
            else:
                self.db.execute_sql("BEGIN IMMEDIATE")
                self.taken.set()
                time.sleep(self.seconds)
                self.db.execute_sql("ROLLBACK")
        finally:
            self.db.close()

    def __enter__(self):
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc):
        self.thread.join(30)
