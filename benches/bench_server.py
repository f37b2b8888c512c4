"""A server for the benchmarks: `centralita` (the real xml_curl app) or `bare` (only parses the form)."""
from __future__ import annotations

import json
import logging
import sys
import time
from urllib.parse import parse_qsl

from gevent.pywsgi import WSGIServer


def bare_app(environ, start_response):
    """The ceiling: read and parse the same form, answer a fixed not-found document."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    dict(parse_qsl(environ["wsgi.input"].read(length).decode(), keep_blank_values=True))
    body = b'<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>'
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def timed(app):
    """Record the time spent inside the handler; GET /__stats returns the percentiles as JSON."""
    latencies: list[float] = []

    def wrapper(environ, start_response):
        if environ["PATH_INFO"] == "/__stats":
            latencies.sort()
            stats = {"count": len(latencies),
                     "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0,
                     "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0}
            latencies.clear()
            body = json.dumps(stats).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        started = time.perf_counter()
        result = app(environ, start_response)
        latencies.append(time.perf_counter() - started)
        return result

    return wrapper


def main(kind: str, db_path: str, port: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    if kind == "bare":
        app = bare_app
    else:
        from fs_plugins import db as dbmod
        from fs_plugins.config import Config
        from xml_curl.app import make_app

        app = make_app(Config(), dbmod.connect(f"sqlite:///{db_path}"))
    WSGIServer(("127.0.0.1", port), timed(app), log=None).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
