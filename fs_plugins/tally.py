"""A request counter and its latency histogram kept as plain numbers, read when Prometheus scrapes.

For the hottest path (every mod_xml_curl request). prometheus_client's Counter.inc and
Histogram.observe take a lock each; under `serve`'s monkey-patching that lock is gevent's, taken
in Python, and the three of them cost ~5 µs a request: a fifth of a whole sip_auth answer
(measured in-process). `serve`'s requests are greenlets of one OS thread, which never run at the
same moment, so the sums here need no lock. The series and samples a scrape shows are the same
as prometheus_client's own Counter and Histogram would give.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString


class RequestTally:
    """`<counter>_total` by `labels`; `<histogram>` (seconds) by the first and last of them."""

    def __init__(self, counter: tuple[str, str], histogram: tuple[str, str], labels: Sequence[str],
                 buckets: Sequence[float]):
        self.counter, self.histogram, self.labels = counter, histogram, tuple(labels)
        self.bounds = tuple(sorted(buckets))
        # label values -> [count, sum, count per bucket…, count above]: one look-up a request (the
        # histogram's series, by the first and last label only, are added up when scraped)
        self._series: dict[tuple, list] = {}

    def observe(self, values: tuple, seconds: float) -> None:
        """One request with these label values, answered in `seconds`."""
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = [0, 0.0] + [0] * (len(self.bounds) + 1)
        series[0] += 1
        series[1] += seconds
        series[2 + bisect_left(self.bounds, seconds)] += 1  # a bucket holds what is <= its bound

    def collect(self):
        counter = CounterMetricFamily(*self.counter, labels=self.labels)
        by_histogram: dict[tuple, list] = {}
        for values, series in sorted(self._series.items()):
            counter.add_metric(values, series[0])
            key = (values[0], values[-1])
            total = by_histogram.setdefault(key, [0.0] + [0] * (len(self.bounds) + 1))
            for index, value in enumerate(series[1:]):
                total[index] += value
        histogram = HistogramMetricFamily(*self.histogram, labels=(self.labels[0], self.labels[-1]))
        for values, series in sorted(by_histogram.items()):
            cumulative, buckets = 0, []
            for bound, count in zip(self.bounds + (float("inf"),), series[1:]):
                cumulative += count
                buckets.append((floatToGoString(bound), cumulative))
            histogram.add_metric(values, buckets, series[0])
        return [counter, histogram]
