"""The ceiling of an HTTP bench: what the same server does when the handler does nothing.

`python -m benches.ceiling --port P --size N --content-type T` runs the pywsgi server exactly as
`centralita serve` builds it (fs_plugins.commands.serve.http_server) with an app that reads the
request body and answers a fixed document of N bytes (the size of the real answer). Nothing the
handler could skip is left in, so a handler at 1.0× this costs nothing over the server itself.
"""
from __future__ import annotations

import argparse
import logging


def fixed_document(size: int, content_type: str) -> bytes:
    """A well-formed answer of exactly `size` bytes (padded inside a comment, or with spaces)."""
    if content_type == "text/xml":
        head = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<document type="freeswitch/xml"><!--'
        tail = (b'--><section name="result"><result status="not found"/></section></document>\n')
    else:
        return b" " * size
    return head + b" " * max(0, size - len(head) - len(tail)) + tail


def make_app(document: bytes, content_type: str):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(document)))]

    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", headers)
        return [document]

    return app


def main(argv=None) -> None:
    from fs_plugins.commands.serve import http_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", type=int, required=True, help="bytes in the answer")
    parser.add_argument("--content-type", default="text/xml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    document = fixed_document(args.size, args.content_type)
    http_server("127.0.0.1", args.port, make_app(document, args.content_type), "benches.ceiling").serve_forever()


if __name__ == "__main__":
    main()
