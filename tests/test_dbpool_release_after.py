"""fs_plugins.dbpool.release_after: one WSGI layer that serves an app, and others beside it by path."""
from __future__ import annotations

from fs_plugins.dbpool import release_after
from tests.wsgi import call


def _app(name: bytes):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name]

    return app


def test_other_apps_are_served_by_their_path_and_everything_else_by_the_app():
    """The xml_curl server's /healthz, /readyz and /metrics, dispatched in the same layer."""
    served = release_after(_app(b"xml_curl"), None, beside={"/healthz": _app(b"health"), "/metrics": _app(b"metrics")})
    assert call(served, method="GET", path="/healthz")[2] == b"health"
    assert call(served, method="GET", path="/metrics")[2] == b"metrics"
    assert call(served, b"section=directory")[2] == b"xml_curl"
    assert call(served, b"", path="/healthz/x")[2] == b"xml_curl"
    assert call(release_after(_app(b"alone"), None), method="GET", path="/healthz")[2] == b"alone"


def test_a_request_that_took_a_connection_hands_it_back_and_one_that_did_not_holds_none(tmp_path):
    from fs_plugins import db as dbmod
    from fs_plugins.dbpool import _Green

    database = dbmod.connect(f"sqlite:///{tmp_path / 'pool.db'}", pool=dbmod.PoolSettings(size=2))
    assert isinstance(database, _Green)
    from fs_plugins.dbpool import release

    release(database)  # the start-up's connection, as serve does

    def reading(environ, start_response):
        database.connect(reuse_if_open=True)  # what a read does first
        assert database.may_hold_connection()
        return _app(b"read")(environ, start_response)

    served = release_after(reading, database, beside={"/kept": _app(b"kept")})
    assert call(served)[2] == b"read" and not database.may_hold_connection()
    assert call(served, path="/kept")[2] == b"kept" and not database.may_hold_connection()
    database.close_all()
