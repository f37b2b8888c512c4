"""One HTTP path measured against its ceiling: the comparison every HTTP bench makes.

For each run (best of `runs`), the ceiling and then Centralita each get a fresh server process on a
fresh port, pinned to the server core; for each connection count wrk warms up, then measures.
The best run of each side (by throughput) is compared: throughput ratio ≥ MIN_RATIO and client
p99 ≤ MAX_P99_RATIO × the ceiling's. Before measuring, a sample of the bodies is posted once and
every answer checked, so a bench can never measure errors or misses it did not mean to.
"""
from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from benches import servers, wrk
from benches.report import Line

MIN_RATIO, MAX_P99_RATIO = 0.85, 1.5
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Options:
    wrk: str
    seconds: int = 5
    warmup: int = 1
    runs: int = 3
    connections: tuple[int, ...] = (2, 16)
    logs: Path = Path(tempfile.gettempdir())
    api_scheduling: str | None = None  # B6/B7's `serve --only api`: this api_scheduling, else the default
    hot_path_only: bool = False  # B6/B7: only the line of sip_auth under the API's / the portal's load


@dataclass(frozen=True)
class HttpPath:
    bench: str
    name: str
    bodies: list[bytes] = field(repr=False)
    check: Callable[[bytes], str | None]  # None when the answer is the one meant, else what is wrong
    section: str = "xml_curl"  # which `centralita serve --only` server
    url_path: str = "/xml_curl"
    content_type: str = FORM
    answer_type: str = "text/xml"
    # Posts that must never repeat (CDRs): `fresh(n)` gives the n-th set of new requests (more than
    # a run can send; a run that sent them all is refused), one set per measurement; `url_path`
    # is then per request.
    fresh: Callable[[int], Iterable[tuple[str, bytes]]] | None = None
    min_rate: float = 0  # an absolute target as well (CDRs/s), 0: none


def compare(path: HttpPath, database_url: str, engine: str, options: Options) -> list[Line]:
    log = options.logs / f"{path.bench.split()[0].lower()}-{engine}.log"
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)  # the server's data_dir (audio files): none is read on these paths
        requests = _Requests(path, Path(tmp))
        with servers.centralita(path.section, database_url, log, data_dir) as server:
            size = _checked_answer_size(server.port, path)
        best: dict[tuple[str, int], wrk.Result] = {}
        for _ in range(options.runs):
            for side in ("ceiling", "centralita"):
                server = (servers.ceiling(size, path.answer_type, log) if side == "ceiling"
                          else servers.centralita(path.section, database_url, log, data_dir))
                with server:
                    for connections in options.connections:
                        result = _measure(server.url_base + path.url_path, requests, path, connections, options,
                                          side)
                        key = (side, connections)
                        if key not in best or result.rate > best[key].rate:
                            best[key] = result
    return [_line(path, engine, c, best[("centralita", c)], best[("ceiling", c)]) for c in options.connections]


class _Requests:
    """The requests file for each wrk run: always the same one, or a new set each time (`fresh`)."""

    def __init__(self, path: HttpPath, folder: Path):
        self.path, self.folder, self.serial = path, folder, 0
        if path.fresh is None:
            self.fixed = wrk.write_bodies(folder / "bodies", ((path.url_path, body) for body in path.bodies))

    def next(self) -> tuple[Path, int]:
        """The file for the next run and how many distinct requests it holds."""
        if self.path.fresh is None:
            return self.fixed, len(self.path.bodies)
        self.serial += 1
        posts = list(self.path.fresh(self.serial))
        return wrk.write_bodies(self.folder / "bodies", posts), len(posts)


def _measure(url: str, requests: _Requests, path: HttpPath, connections: int, options: Options,
             side: str) -> wrk.Result:
    if options.warmup:
        wrk.run(options.wrk, url, requests.next()[0], path.content_type, connections, options.warmup)
    bodies, distinct = requests.next()
    result = wrk.run(options.wrk, url, bodies, path.content_type, connections, options.seconds)
    if result.errors:
        raise RuntimeError(f"{path.name}: {result.errors} failed requests in {result.requests} against {url}")
    if path.fresh is not None and side == "centralita" and result.requests >= distinct:
        raise RuntimeError(f"{path.name}: all {distinct} distinct posts were sent, some twice: give more")
    return result


def _checked_answer_size(port: int, path: HttpPath, sample: int = 40) -> int:
    sizes = []
    sampled = path.fresh(0) if path.fresh else ((path.url_path, body) for body in path.bodies)
    for (url_path, body), _ in zip(sampled, range(sample)):
        status, answer = servers.post(port, url_path, body, path.content_type)
        problem = f"HTTP {status}" if status != 200 else path.check(answer)
        if problem:
            raise RuntimeError(f"{path.bench} {path.name}: unexpected answer ({problem}): {answer[-600:]!r}")
        sizes.append(len(answer))
    return round(statistics.mean(sizes))


def _line(path: HttpPath, engine: str, connections: int, ours: wrk.Result, ceiling: wrk.Result) -> Line:
    ratio = ours.rate / ceiling.rate
    name = f"{path.name} · {engine} · {connections} conn"
    if path.min_rate:
        return Line(path.bench, name, _figures(ours), _figures(ceiling), ratio, f"≥ {path.min_rate:,.0f}/s",
                    ours.rate >= path.min_rate, path.min_rate / ceiling.rate)
    p99_ratio = ours.p99_ms / ceiling.p99_ms if ceiling.p99_ms else float("inf")
    return Line(path.bench, name, _figures(ours), _figures(ceiling),
                ratio, f"≥ {MIN_RATIO}×; p99 ≤ {MAX_P99_RATIO}× ceiling (now {p99_ratio:.2f}×)",
                ratio >= MIN_RATIO and p99_ratio <= MAX_P99_RATIO, MIN_RATIO)


def _figures(result: wrk.Result) -> str:
    return (f"{result.rate:,.0f} req/s; p50 {result.p50_ms:.2f} / p99 {result.p99_ms:.2f} / "
            f"p99.9 {result.p999_ms:.2f} ms")
