"""Many short measurement windows of two sides (quiet, loaded) in ABBA order, their latency
histograms pooled per side: how B6 line 3 and B7's same line compare sip_auth's p99 with and
without a background load (benches/b6_api.py, hot_path_line).

Why not the best of three runs a side, as before: a p99 of one 5 s run rests on its few dozen
slowest requests, and this machine is shared, so it moved by 2× between runs of the same commit
(quiet p99 0.96 … 1.91 ms); the lowest of three such figures on each side is the luckiest second
of each, and the line flipped between PASS and FAIL on one commit. Here:
- both sides run in many short windows, alternating quiet, loaded, loaded, quiet, … (ABBA): a slow
  drift of the machine (another process starting, a cache warming, the CPU's clock) falls on both
  sides alike; within each block of four a drift that is linear in time gives both sides the same
  mean time, so it cancels exactly in means and nearly in the p99 of a pooled histogram;
- every request of a side counts: wrk's whole histogram of each window (benches/wrk_bodies.lua),
  summed per side, and the p99 of that sum, which rests on the slowest 1 % of every window (some
  700 requests a side on the full PostgreSQL set, a few dozen on the quick one) instead of one
  window's; no window is dropped or chosen. Still, a window whose slow requests exceed 1 % of its
  side's pool sets that side's p99 alone, so the line also needs the median of the ratios of the
  adjacent (quiet, loaded) pairs under the target (Comparison.passes): both, never either;
- the pairs' median and range are printed, so the reader sees how much the machine's noise moves
  one pair against the pooled figure;
- a quiet window right after a loaded one could carry the load's after-effects and so raise the
  quiet side (toward PASS): the bench waits for the load's last request and pauses before every
  window, and Comparison.carry_over shows, per block, whether the quiet window after the load was
  still slower than the one before it.
The target is not moved: the same ≤ 1.2× on p99, the same rate of the load and of sip_auth.

Pure: histograms in, figures out (no wrk, no servers); tests/test_latency_windows.py checks them.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

QUIET, LOADED = "quiet", "loaded"

# A latency histogram: microseconds → how many requests took exactly that long (wrk records whole µs).
Histogram = Mapping[int, int]


def abba_order(blocks: int) -> list[str]:
    """The sides of 4 × `blocks` windows: quiet, loaded, loaded, quiet, again and again."""
    return [QUIET, LOADED, LOADED, QUIET] * blocks


def pooled(histograms: Iterable[Histogram]) -> Counter:
    """One histogram holding every request of all of them."""
    total: Counter = Counter()
    for histogram in histograms:
        total.update(histogram)
    return total


def percentile(histogram: Histogram, p: float) -> int:
    """The smallest latency with more than `p` % of the requests at or under it (wrk's own rule,
    src/stats.c stats_percentile: rank = round(p/100 · count + 0.5), in exact arithmetic here)."""
    count = sum(histogram.values())
    if count == 0:
        raise ValueError("percentile of an empty histogram")
    rank = min(int(Fraction(p) * count / 100) + 1, count)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: rank ≤ count")


@dataclass(frozen=True)
class Comparison:
    """The loaded side's p99 against the quiet side's, each over its pooled windows."""
    quiet_p50_us: int
    quiet_p99_us: int
    loaded_p50_us: int
    loaded_p99_us: int
    # samples in each side's pool: the requests answered plus those wrk adds for coordinated
    # omission (src/wrk.c stats_correct: an answer slower than two intervals stands for the ones it held back)
    quiet_samples: int
    loaded_samples: int
    pair_ratios: tuple[float, ...]  # loaded p99 / quiet p99 of each adjacent pair of windows, in order
    carry_over: CarryOver

    @property
    def ratio(self) -> float:
        return self.loaded_p99_us / self.quiet_p99_us

    @property
    def pair_median(self) -> float:
        return statistics.median(self.pair_ratios)

    def passes(self, max_ratio: float) -> bool:
        """The pooled ratio and the median of the pairs' ratios both at most `max_ratio`: one
        window can set a side's pooled p99 by itself, the median of ten pairs cannot."""
        return self.ratio <= max_ratio and self.pair_median <= max_ratio

    def noise(self) -> str:
        """How far single pairs of windows scatter, e.g. "pair ratios median 1.04×, 0.91–1.38×, 10 pairs"."""
        return (f"pair ratios median {self.pair_median:.2f}×, {min(self.pair_ratios):.2f}–"
                f"{max(self.pair_ratios):.2f}×, {len(self.pair_ratios)} pairs")


@dataclass(frozen=True)
class CarryOver:
    """Each quiet window right after a loaded one against the quiet window before that load (in
    ABBA, a block's last quiet window against its first): if the load's after-effects reach the
    next quiet window, `after_p99_us` is higher, and in most blocks, not about half."""
    after_p99_us: int  # p99 of the pooled quiet windows that follow a loaded one
    before_p99_us: int  # p99 of the pooled quiet windows each of those is set against
    higher: int  # blocks whose quiet window after the load had the higher p99
    blocks: int

    def text(self) -> str:
        """e.g. "quiet after a load p99 1.90 ms, before it 1.50 ms, higher in 4 of 5 blocks"."""
        if not self.blocks:
            return "no quiet window after a load"
        return (f"quiet after a load p99 {self.after_p99_us / 1000:.2f} ms, before it "
                f"{self.before_p99_us / 1000:.2f} ms, higher in {self.higher} of {self.blocks} blocks")


def carry_over(windows: Sequence[tuple[str, Histogram]]) -> CarryOver:
    """The CarryOver of `windows` (side, histogram) in the order they ran."""
    pairs, before = [], None
    for (previous_side, _), (side, histogram) in zip([(None, None), *windows], windows):
        if side != QUIET:
            continue
        if previous_side == LOADED and before is not None:
            pairs.append((before, histogram))
        else:
            before = histogram
    if not pairs:
        return CarryOver(0, 0, 0, 0)
    higher = sum(percentile(after, 99) > percentile(first, 99) for first, after in pairs)
    return CarryOver(percentile(pooled(after for _, after in pairs), 99),
                     percentile(pooled(first for first, _ in pairs), 99), higher, len(pairs))


def compare(windows: Sequence[tuple[str, Histogram]]) -> Comparison:
    """`windows`: (side, histogram) in the order they ran, as abba_order gives the sides, so that
    windows 0–1, 2–3, … are each one quiet and one loaded window measured one after the other."""
    sides = [side for side, _ in windows]
    pairs = list(zip(windows[0::2], windows[1::2]))
    if len(windows) % 2 or not pairs or any({a[0], b[0]} != {QUIET, LOADED} for a, b in pairs):
        raise ValueError(f"windows must come in (quiet, loaded) pairs, not {sides}")
    quiet = pooled(histogram for side, histogram in windows if side == QUIET)
    loaded = pooled(histogram for side, histogram in windows if side == LOADED)
    ratios = []
    for first, second in pairs:
        by_side = dict((first, second))
        ratios.append(percentile(by_side[LOADED], 99) / percentile(by_side[QUIET], 99))
    return Comparison(percentile(quiet, 50), percentile(quiet, 99), percentile(loaded, 50), percentile(loaded, 99),
                      sum(quiet.values()), sum(loaded.values()), tuple(ratios), carry_over(windows))
