"""Drive a WSGI app in-process the way an HTTP client would (no sockets)."""
from __future__ import annotations

import base64
import io


def call(app, body: bytes = b"", method: str = "POST", path: str = "/xml_curl", headers: dict | None = None,
         query: str = "", content_type: str = "application/x-www-form-urlencoded"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "18080",
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    data = b"".join(chunks)
    return int(captured["status"].split()[0]), captured["headers"], data


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
