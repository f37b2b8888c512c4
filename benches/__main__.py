"""Run the benches: `python -m benches [--quick] [--bench b1|b4|b5|b6|b7|b8|b9 …] [--engine sqlite|postgresql …]`.

Prints PASS/FAIL per line as it goes, writes table.md and one SVG chart per bench into the results
folder (default ./bench-results/<time>, not kept in git), and exits 1 when any target is missed.
--quick: a tenth of the data, one run of 2 s per side: minutes instead of half an hour, for a
quick look; the figures that count are from a full run. --hot-path-only: of B6 and B7, only the
line of sip_auth under their load (the one that needs a quiet machine most).
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from benches import datasets, report

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ("b1", "b4", "b5", "b6", "b7", "b8", "b9")
ENGINES = ("sqlite", "postgresql")


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m benches", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data set, one short run (a few minutes)")
    parser.add_argument("--bench", action="append", choices=BENCHES, help="run only this bench (repeatable)")
    parser.add_argument("--engine", action="append", choices=ENGINES, help="only this database (repeatable)")
    parser.add_argument("--path", help="B1: only the paths whose name contains this; B5: only its parts (CDR ingest, "
                        "month page, CSV export) whose name contains this")
    parser.add_argument("--seconds", type=int, help="seconds per wrk measurement (default 5, quick 2); of B6/B7's "
                        "hot-path line only the capacity run (its windows are always 3 s)")
    parser.add_argument("--runs", type=int, help="runs per side, the best kept (default 3, quick 1); B6/B7's "
                        "hot-path line: blocks of four windows (at least 8, all kept, --quick too)")
    parser.add_argument("--results", type=Path, help="folder for table.md and the charts")
    parser.add_argument("--api-scheduling", choices=("idle", "normal"),
                        help="B6/B7: run `serve --only api` with this api_scheduling (default: the product's)")
    parser.add_argument("--hot-path-only", action="store_true",
                        help="B6/B7: only the line of sip_auth under the API's / the portal's load")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    # A stopped run must not leave its servers behind: SIGTERM unwinds like Ctrl-C, through the
    # `with` blocks that stop them.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args = parse(argv)
    scale = datasets.QUICK if args.quick else datasets.FULL
    engines = args.engine or list(ENGINES)
    wanted = args.bench or list(BENCHES)
    results = args.results or ROOT / "bench-results" / time.strftime("%Y%m%d-%H%M%S")
    header = _header(scale, args)
    print(header, flush=True)
    lines: list[report.Line] = []
    say = lambda text: print(text, flush=True)  # noqa: E731
    results.mkdir(parents=True, exist_ok=True)
    if any(name in wanted for name in ("b1", "b5", "b6", "b7")):
        from benches import httpbench, wrk

        wrk_path, how = wrk.find_or_install()
        say(how)
        options = httpbench.Options(wrk=wrk_path, seconds=args.seconds or (2 if args.quick else 5),
                                    runs=args.runs or (1 if args.quick else 3), logs=results,
                                    api_scheduling=args.api_scheduling, hot_path_only=args.hot_path_only)
    if "b1" in wanted:
        from benches import b1_xml_curl

        lines += _some(b1_xml_curl.run(options, scale, engines, args.path, say), b1_xml_curl.BENCH, args.path)
    if "b4" in wanted:
        from benches import b4_esl

        lines += b4_esl.run(say)
    if "b5" in wanted:
        from benches import b5_cdr

        lines += _some(b5_cdr.run(options, scale, engines, say, args.path), b5_cdr.BENCH, args.path)
    if "b6" in wanted:
        from benches import b6_api

        lines += b6_api.run(options, scale, engines, say)
    if "b7" in wanted:
        from benches import b7_portal

        lines += b7_portal.run(options, scale, engines, say)
    if "b8" in wanted:
        from benches import b8_faults

        lines += b8_faults.run(args.quick, engines, say)
    if "b9" in wanted and "postgresql" in engines:  # several nodes share PostgreSQL only
        from benches import b9_queues

        lines += b9_queues.run(args.quick, say)
    table = report.write(results, lines, header + f"\n\nload after the run: {_load()}")
    failed = [line for line in lines if not line.ok]
    print(f"\n{len(lines) - len(failed)} passed, {len(failed)} failed; table and charts in {table.parent}")
    return 1 if failed else 0


def _some(lines: list[report.Line], bench: str, path: str | None) -> list[report.Line]:
    """A bench that --path left without a line fails the run: a filter that matched nothing of it
    must not read as that bench passing."""
    if lines:
        return lines
    return [report.Line(bench, f"no line matched --path {path!r}", "nothing measured", "", 0.0,
                        "at least one line", False, 1.0)]


def _header(scale: datasets.Scale, args) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return (f"Centralita benches, {time.strftime('%Y-%m-%d %H:%M')}, commit {commit.stdout.strip() or '?'}, "
            f"{'quick' if args.quick else 'full'} scale ({scale.tenants:,} tenants × {scale.users} users, "
            f"{scale.contacts:,} contacts, {scale.calls:,} calls), Python {platform.python_version()}, "
            f"{os.cpu_count()} cores, load before: {_load()}"
            + (f", serve --only api with api_scheduling {args.api_scheduling}" if args.api_scheduling else "")
            + (f", only the paths/parts matching --path {args.path!r}" if args.path else "")
            + (", only the hot-path lines of B6/B7" if args.hot_path_only else ""))


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
