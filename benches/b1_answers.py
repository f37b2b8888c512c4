"""B1's answers, written out to compare a change of the handler's hot path before and after.

Every body of every B1 path (benches/b1_xml_curl.py, quick data set) is answered twice by the
xml_curl app as `serve` builds it (benches/instructions.py's set-up): the first pass reads the
database, the second is answered from what was kept. A change meant to cost fewer instructions
must leave both byte-identical.

    PYTHONHASHSEED=0 python -m benches.b1_answers [--engine sqlite|postgresql] OUT   # one line per answer: path, pass, index, sha256
    diff BEFORE OUT
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.b1_answers", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    from benches import b1_xml_curl, datasets, instructions
    from fs_plugins.launcher import make_cooperative

    url = datasets.database_url(args.engine, "pbx", datasets.QUICK)
    make_cooperative()
    app = _app(url)
    lines = []
    for path in b1_xml_curl.paths(datasets.QUICK):
        for passed in ("read", "kept"):
            for index, body in enumerate(path.bodies):
                answer = instructions._call(app, body)
                lines.append(f"{path.name}\t{passed}\t{index}\t{hashlib.sha256(answer).hexdigest()}\n")
    args.out.write_text("".join(lines))
    print(f"{len(lines)} answers written to {args.out}")
    return 0


def _app(url: str):
    import tempfile

    from benches.instructions import PASSWORD, USER
    from fs_plugins.cli import Context
    from fs_plugins.commands.serve import xml_curl_app
    from fs_plugins.config import load_config
    from fs_plugins.dbpool import release

    config = load_config(environ={}, overrides={"database_url": url, "data_dir": tempfile.mkdtemp(prefix="b1-answers-"),
                                                 "xml_curl_user": USER, "xml_curl_password": PASSWORD})
    database = Context(config, serving=True).db
    app = xml_curl_app(config, database)
    release(database)
    return app


if __name__ == "__main__":
    sys.exit(main())
