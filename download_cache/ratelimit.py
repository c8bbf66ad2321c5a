"""A token bucket shared by the copier's threads: the bandwidth limit applies to the whole stage."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """Let at most `rate` bytes a second through, across every thread that calls take()."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate if rate and rate > 0 else None
        self._lock = threading.Lock()
        self._available = 0.0
        self._last = time.monotonic()

    def take(self, amount: int) -> None:
        """Block until `amount` bytes may pass."""
        if self.rate is None:
            return
        with self._lock:
            now = time.monotonic()
            # Burst of at most a quarter second, so a limit holds even over short stages.
            self._available = min(self._available + (now - self._last) * self.rate, self.rate / 4)
            self._last = now
            self._available -= amount
            wait = -self._available / self.rate if self._available < 0 else 0.0
        if wait:
            time.sleep(wait)


def parse_rate(text: str) -> float:
    """Return bytes per second from '500k', '10M', '1.5G' (powers of 1024) or a plain number; raise ValueError."""
    units = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    value = text.strip().lower().removesuffix("/s").removesuffix("b")
    unit = value[-1:] if value[-1:] in units else ""
    number = float(value[: len(value) - len(unit)])
    if number <= 0:
        raise ValueError(f"{text!r} is not a positive rate")
    return number * units[unit]
