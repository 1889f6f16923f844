"""Time limits for one record's work: a pathological page must not hold up its batch.

Kept apart from extraction so that a process that only plans and commits runs (the parent of
the worker processes) can catch `RecordTimeout` without importing trafilatura and lxml
(about 11 MB of its memory and 0.1 s of its start).
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any


class RecordTimeout(BaseException):
    """Raised inside a record's processing when it exceeds its time limit.

    A BaseException, like KeyboardInterrupt, so that the `except Exception` blocks inside
    trafilatura and its helpers cannot swallow it and carry on with no limit left.
    """


class _SignalClock:
    """SIGALRM's timer for one piece of work at a time, in the main thread: `handle` is the
    handler to install, and each `with clock:` sets the timer and clears it. `time_limit` uses
    one for its work; `batch_time_limit` installs `handle` once and reuses the clock record
    after record (installing and restoring the handler for every record, two `signal.signal`
    calls with their enum conversions and two system calls, was about 1% of a text record's
    instructions in a worker). `outer` is the timer that was running when it was last set.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.interval = min(seconds, 1.0)
        self.armed = False
        self.outer: tuple[float, float] = (0.0, 0.0)

    def handle(self, signum: int, frame: Any) -> None:
        if self.armed:
            raise RecordTimeout

    def __enter__(self) -> None:
        self.armed = True
        self.outer = signal.setitimer(signal.ITIMER_REAL, self.seconds, self.interval)

    def __exit__(self, *exc: object) -> None:
        # A RecordTimeout can still be raised here, before the timer is off: take it and retry.
        while self.armed:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                self.armed = False
            except RecordTimeout:
                continue


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the enclosed work with RecordTimeout after `seconds` (None or 0: no limit).

    Batches run in worker processes, where each record is processed in the main
    thread, so SIGALRM can stop a pathological page without killing the batch.
    Should library code swallow the first RecordTimeout anyway, the alarm fires again
    (every `seconds`, at most every second) until the work ends. A signal cannot cut a
    single long call into C code short: it takes effect when that call returns.

    Off the main thread (a Dask worker's task threads, Prefect's thread runner) no signal
    can reach the work; there a watchdog thread raises RecordTimeout in the worker thread
    asynchronously instead, which takes effect at the next Python instruction (a blocking
    C call, such as a sleep, runs to its end first).
    """
    if not seconds or not 0 < seconds < 1e6:  # also NaN and inf: no timer can be set for those
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        with _thread_time_limit(seconds):
            yield
        return
    clock = _SignalClock(seconds)
    clock.armed = True  # an alarm once the handler is in is this limit's
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, clock.handle)
    try:
        with clock:
            yield
    finally:
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        outer_delay, outer_interval = clock.outer
        if outer_delay > 0:  # an enclosing timer: give it back what is left of it
            left = max(outer_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


class _EachRecord:
    """The per-record limit of `batch_time_limit` where the batch cannot own SIGALRM: a
    `time_limit` of its own for every record."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.current: list[AbstractContextManager[None]] = []

    def __enter__(self) -> None:
        limit = time_limit(self.seconds)
        limit.__enter__()
        self.current.append(limit)

    def __exit__(self, *exc: Any) -> None:
        self.current.pop().__exit__(*exc)


@contextmanager
def batch_time_limit(seconds: float | None) -> Iterator[AbstractContextManager[None]]:
    """A time limit for each of many records, as `time_limit` sets one: the context manager
    yielded is entered once per record (`with limit: ...`), and interrupts that record with
    RecordTimeout after `seconds`.

    In the main thread, with no timer already running, SIGALRM's handler is installed once here
    and restored at the end, and a record costs two `setitimer` calls; elsewhere (another
    thread, or inside an enclosing `time_limit` whose timer must be given back) every record
    gets a `time_limit` of its own.
    """
    if not seconds or not 0 < seconds < 1e6:
        yield nullcontext()
        return
    if threading.current_thread() is not threading.main_thread() or signal.getitimer(signal.ITIMER_REAL)[0]:
        yield _EachRecord(seconds)
        return
    clock = _SignalClock(seconds)
    previous = signal.signal(signal.SIGALRM, clock.handle)
    try:
        yield clock
    finally:
        clock.__exit__()
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Schedule `exc` in thread `thread_id` (None: cancel one scheduled and not yet raised)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None
    )


@contextmanager
def _thread_time_limit(seconds: float) -> Iterator[None]:
    """time_limit for a thread other than the main one: a watchdog thread, see there."""
    target = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()
    active = True

    def watchdog() -> None:
        wait = seconds
        while not done.wait(wait):
            with lock:
                if not active:
                    return
                _set_async_exc(target, RecordTimeout)
            wait = min(seconds, 1.0)  # again, should the first one be swallowed

    guard = threading.Thread(target=watchdog, name="kliping-record-timeout", daemon=True)
    guard.start()
    try:
        yield
    finally:
        while active:
            try:
                with lock:
                    active = False
                    _set_async_exc(target, None)  # one scheduled but not yet raised
            except RecordTimeout:
                continue
        done.set()
