"""The bandwidth limit: a token bucket shared by the copier's threads (checked on a fake clock)."""

from __future__ import annotations

import pytest

from download_cache import ratelimit
from download_cache.ratelimit import RateLimiter, parse_rate


class Clock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(ratelimit.time, "sleep", clock.sleep)
    return clock


@pytest.mark.parametrize(("rate", "chunks", "expected"), [(1000.0, [500] * 8, 4.0), (1 << 20, [1 << 20] * 10, 10.0)])
def test_limiter_spreads_bytes_at_the_rate(clock: Clock, rate: float, chunks: list[int], expected: float) -> None:
    limiter = RateLimiter(rate)
    for chunk in chunks:
        limiter.take(chunk)
    assert clock.slept == pytest.approx(expected, rel=0.01)


def test_no_limit_never_waits(clock: Clock) -> None:
    limiter = RateLimiter(None)
    for _ in range(100):
        limiter.take(1 << 30)
    assert clock.slept == 0


@pytest.mark.parametrize(
    ("text", "rate"),
    [("500k", 500 * 1024), ("20M", 20 << 20), ("1.5G", 1.5 * (1 << 30)), ("4096", 4096), ("8MB/s", 8 << 20)],
)
def test_parse_rate(text: str, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["fast", "-5M", "0", ""])
def test_parse_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)
