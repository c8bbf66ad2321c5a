"""Drain the outbox to the DMZ: bulk where possible, retried with exponential backoff, order per DOI kept."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from ..progress import Progress
from .client import PushClient
from .errors import DMZUnavailable, PublisherError, PushRefused, Rejected
from .outbox import Item, Outbox

log = logging.getLogger(__name__)
T = TypeVar("T")
# Batches read from the outbox at a time, per sender: the next ones are read while those are sent.
AHEAD_BATCHES = 8


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one request: first wait, longest wait, and when to give up."""

    backoff: float = 1.0
    max_wait: float = 60.0
    give_up: float = 300.0
    # How to wait between tries: a long-running watcher passes one that a SIGTERM cuts short.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


@dataclass
class DeliveryReport:
    """What one flush did."""

    outcomes: Counter[str] = field(default_factory=Counter)
    parked: list[tuple[str, int, str]] = field(default_factory=list)
    retries: int = 0
    stopped: str | None = None

    @property
    def delivered(self) -> int:
        """Return how many entries reached the DMZ."""
        return sum(self.outcomes.values())


class Deliverer:
    """Deliver due outbox entries until none is left or the DMZ stays away past the retry policy."""

    def __init__(
        self,
        outbox: Outbox,
        client: PushClient,
        policy: RetryPolicy | None = None,
        batch_size: int = 100,
        batch_bytes: int = 1_000_000,
        progress: Progress | None = None,
        concurrency: int = 2,
    ) -> None:
        self.outbox, self.client = outbox, client
        self.policy = policy or RetryPolicy()
        self.batch_size, self.batch_bytes = batch_size, batch_bytes
        self.progress = progress or Progress()
        self.concurrency = concurrency
        self.report = DeliveryReport()
        self._report_lock = threading.Lock()
        # Set when a batch fails, gives up or is stopped: the batches not yet started stay queued.
        self._halt = threading.Event()
        self._feed: Feed | None = None
        self._drawing = True
        self._seen = 0  # the reader's queueings when the outbox was last read

    def flush(self, feed: Feed | None = None) -> DeliveryReport:
        """Deliver everything due; return the report (its `stopped` says why it ended early).

        With a feed, an empty outbox means "wait for the reader to queue more" until the feed is closed.
        """
        self.report = DeliveryReport()
        self._halt.clear()
        self._feed = feed
        # Alongside a reader, the progress shows the read; delivery draws what is left once the read is done.
        self._drawing = feed is None
        with self.outbox.delivery_lock():
            pending = self.outbox.counts()["pending"]
            if pending and feed is None:
                self.progress.stage("delivering", pending)
            try:
                self._deliver(feed)
            except (DMZUnavailable, PushRefused) as exc:
                self.report.stopped = str(exc)
            finally:
                self.progress.close()
            self.outbox.prune()
        return self.report

    def _deliver(self, feed: Feed | None) -> None:
        """Keep `concurrency` sends under way until nothing is due: a sender takes the next batch once free.

        A DOI has at most one entry under way or waiting to be sent, so its entries reach the DMZ in order.
        Once a send fails (the DMZ away, SIGTERM) or the reader alongside fails, only the sends under way
        are finished: the rest stay queued.
        """
        # Rounds (all senders' batches, then the next `due`) left the DMZ with nothing to do ~10 % of a first
        # sync, between rounds and at each round's end (bench/sync.py: requests in flight over time).
        with ThreadPoolExecutor(max(1, self.concurrency), thread_name_prefix="dmzpub-deliver") as pool:
            sends = _Sends(pool, max(1, self.concurrency), self._send, feed.wake if feed else lambda: None)
            while True:
                if not self._halted():
                    sends.start()
                    if sends.short() and not self._halted():  # read on while the senders send
                        sends.add(self._next(feed, sends.busy, wait=not sends.running))
                        if sends.startable():
                            continue
                if not sends.running:
                    break
                if feed is not None and sends.free() and not self._halted():  # the reader may queue more
                    feed.until(self._seen, sends.ended)
                    if not sends.ended():
                        continue  # it did: read it
                sends.collect()
        if sends.failures:
            raise sends.failures[0]

    def _next(self, feed: Feed | None, busy: set[str], wait: bool) -> list[list[Item]]:
        """Return the next sends due (puts in batches, then withdrawals one each), none of a DOI in `busy`;
        with `wait` and a feed, wait for the reader until it queues more or is done."""
        while True:
            self._seen = feed.queued if feed is not None else 0
            if feed is not None and feed.abandoned:
                return []
            if feed is not None and feed.done and not self._drawing:
                pending = self.outbox.counts()["pending"]
                with self._report_lock:  # senders under way advance the progress under it
                    self._drawing = True
                    if pending:
                        self.progress.stage("delivering", pending)
            items = self.outbox.due(self.batch_size * AHEAD_BATCHES * max(1, self.concurrency), skip=busy)
            if items or not wait or feed is None or not feed.wait(self._seen):
                break
        withdrawals = [[item] for item in items if item.action == "withdraw"]
        return [*self._batches([item for item in items if item.action == "put"]), *withdrawals]

    def _halted(self) -> bool:
        """Tell whether to start no more sends: a batch failed or was stopped, or the reader alongside failed."""
        return self._halt.is_set() or (self._feed is not None and self._feed.abandoned)

    def _send(self, work: list[Item]) -> None:
        """Send one batch of puts, or one withdrawal; a failure stops the sends not yet started."""
        if self._halted():
            return
        try:
            if work[0].action == "withdraw":
                self._withdraw(work[0])
            else:
                self._put_batch(work)
        except BaseException:
            self._halt.set()
            raise

    def _batches(self, items: Sequence[Item]) -> Iterator[list[Item]]:
        batch: list[Item] = []
        size = 0
        for item in items:
            length = len(item.body or "")
            if batch and (len(batch) >= self.batch_size or size + length > self.batch_bytes):
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += length
        if batch:
            yield batch

    def _call(self, items: Sequence[Item], fn: Callable[[], T]) -> T:
        """Run one request with retries; on giving up, count the attempt on the entries and re-raise."""

        def note(state: RetryCallState) -> None:
            with self._report_lock:
                self.report.retries += 1
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning("DMZ unavailable (%s); retrying in %.1fs", exc, wait)

        retrying = Retrying(
            retry=retry_if_exception_type(DMZUnavailable),
            wait=wait_exponential(multiplier=self.policy.backoff, max=self.policy.max_wait),
            stop=stop_after_delay(self.policy.give_up),
            before_sleep=note,
            sleep=self.policy.sleep,
            reraise=True,
        )
        try:
            return retrying(fn)
        except PublisherError as exc:
            if not isinstance(exc, Rejected):
                self._halt.set()  # the DMZ is away for every batch
                self.outbox.failed(items, str(exc))
            raise

    def _done(self, results: list[tuple[Item, str, int]]) -> None:
        self.outbox.delivered(results)
        with self._report_lock:
            self.report.outcomes.update(outcome for _, outcome, _ in results)
            if self._drawing:
                self.progress.advance(len(results))

    def _park(self, item: Item, status: int, error: str) -> None:
        log.error("DMZ rejected %s (HTTP %s): %s", item.doi, status, error)
        self.outbox.park(item, status, error)
        with self._report_lock:
            self.report.parked.append((item.doi, status, error))
            if self._drawing:
                self.progress.advance()

    def _put_batch(self, batch: list[Item]) -> None:
        if len(batch) == 1:
            self._put_one(batch[0])
            return
        try:
            bodies = [i.body or "null" for i in batch]
            replies = self._call(batch, lambda: self.client.bulk(bodies, [i.sequence for i in batch]))
        except Rejected:
            # The request as a whole was refused (too large, say): let each entry get its own verdict.
            for item in batch:
                self._put_one(item)
            return
        results = []
        for item, reply in zip(batch, replies, strict=True):
            if reply.get("status") == "rejected":
                self._park(item, int(reply.get("httpStatus") or 422), _errors(reply))
            elif reply.get("status") == "stale":  # a later write of the DOI was applied: nothing to retry
                results.append((item, "superseded", 409))
            else:
                results.append((item, str(reply.get("status")), int(reply.get("httpStatus") or 200)))
        self._done(results)

    def _put_one(self, item: Item) -> None:
        try:
            reply = self._call([item], lambda: self.client.put(item.doi, item.body or "null", item.sequence))
        except Rejected as exc:
            self._park(item, exc.status, exc.detail)
            return
        status = {"created": 201, "superseded": 409}.get(str(reply.get("status")), 200)
        self._done([(item, str(reply.get("status")), status)])

    def _withdraw(self, item: Item) -> None:
        try:
            reply = self._call([item], lambda: self.client.withdraw(item.doi, item.reason, item.sequence))
        except Rejected as exc:
            self._park(item, exc.status, exc.detail)
            return
        # A DOI the DMZ never had is already in the state a withdrawal asks for.
        if reply is None:
            self._done([(item, "absent", 404)])
            return
        status = 409 if reply.get("status") == "superseded" else 200
        self._done([(item, str(reply.get("status")), status)])


class _Sends:
    """The sends under way in a pool and those read and waiting; a DOI is in at most one of them (`busy`)."""

    def __init__(
        self, pool: ThreadPoolExecutor, lanes: int, send: Callable[[list[Item]], None], wake: Callable[[], None]
    ):
        self.pool, self.lanes, self.send, self.wake = pool, lanes, send, wake
        self.ready: deque[list[Item]] = deque()
        self.busy: set[str] = set()
        self.running: dict[Future[None], list[Item]] = {}
        self.failures: list[BaseException] = []

    def add(self, sends: list[list[Item]]) -> None:
        """Line up sends read from the outbox."""
        self.ready.extend(sends)
        self.busy.update(item.key for work in sends for item in work)

    def start(self) -> None:
        """Start lined-up sends while a sender is free."""
        while self.startable():
            work = self.ready.popleft()
            future = self.pool.submit(self.send, work)
            self.running[future] = work
            future.add_done_callback(lambda _: self.wake())

    def startable(self) -> bool:
        """Tell whether a send is lined up and a sender free."""
        return bool(self.ready) and self.free()

    def free(self) -> bool:
        """Tell whether a sender is free."""
        return len(self.running) < self.lanes

    def short(self) -> bool:
        """Tell whether fewer sends are lined up than there are senders."""
        return len(self.ready) < self.lanes

    def ended(self) -> bool:
        """Tell whether a send under way has ended."""
        return any(future.done() for future in self.running)

    def collect(self) -> None:
        """Wait for a send under way to end; free the DOIs of those ended, noting their failures."""
        done, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in done:
            self.busy.difference_update(item.key for item in self.running.pop(future))
            if (failure := future.exception()) is not None:
                self.failures.append(failure)


class Feed:
    """What a reader tells the deliverer working alongside it: more is queued, it is done, or it failed."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.queued = 0  # how many times the reader queued entries
        self.done = False
        self.abandoned = False  # the reader failed: stop after the batches under way, leave the rest queued

    def more(self) -> None:
        """Say that entries were queued."""
        with self._changed:
            self.queued += 1
            self._changed.notify_all()

    def close(self, abandon: bool = False) -> None:
        """Say that the reader is done (nothing more will be queued)."""
        with self._changed:
            self.done, self.abandoned = True, abandon
            self._changed.notify_all()

    def wait(self, seen: int) -> bool:
        """Wait until something is queued after `seen`; return False once the reader is done and nothing came."""
        with self._changed:
            self._changed.wait_for(lambda: self.queued != seen or self.done)
            return self.queued != seen and not self.abandoned

    def until(self, seen: int, ended: Callable[[], bool]) -> None:
        """Wait until something is queued after `seen`, the reader fails, or `ended()` (told by `wake`)."""
        with self._changed:
            self._changed.wait_for(lambda: self.queued != seen or self.abandoned or ended())

    def wake(self) -> None:
        """Have a waiting `until` look at its `ended` again."""
        with self._changed:
            self._changed.notify_all()


@contextlib.contextmanager
def alongside(deliverer: Deliverer) -> Iterator[Feed]:
    """Run `deliverer` in a thread while the block queues entries; on leaving, wait for it to deliver the rest.

    When the block fails, delivery stops after the batches under way and what is left stays queued.
    """
    feed = Feed()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            deliverer.flush(feed)
        except BaseException as exc:  # raised in the caller's thread once joined
            failure.append(exc)

    thread = threading.Thread(target=run, name="dmzpub-deliver-alongside", daemon=True)
    thread.start()
    try:
        yield feed
    except BaseException:
        feed.close(abandon=True)
        thread.join()
        raise
    feed.close()
    thread.join()
    if failure:
        raise failure[0]


def _errors(reply: dict[str, Any]) -> str:
    errors = reply.get("errors") or []
    text = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    return text or str(reply.get("title") or "rejected")
