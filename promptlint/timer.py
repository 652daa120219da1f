"""The per-file time budget: one pathological file must not stall the run."""

from __future__ import annotations


class OverTime(BaseException):
    """Raised by the timer; a BaseException so no rule's `except Exception` swallows it."""


def within(seconds: float, on_timeout, work, *args):
    """`work(*args)`, or `on_timeout()` once it has run for `seconds`.

    Uses SIGALRM, so it applies only in the main thread of a platform that has
    `setitimer`; elsewhere (or with `seconds <= 0`) the work runs unbounded."""
    import signal
    import threading

    if (seconds <= 0 or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        return work(*args)

    expired = []

    def expire(signum, frame):
        expired.append(True)
        raise OverTime

    previous = signal.signal(signal.SIGALRM, expire)
    # It fires again every 0.1 s: a raise that lands in a gc callback is swallowed there.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        try:
            return work(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except (OverTime, Exception):
        if not expired:
            raise
        # Raised inside `ast.parse` or libcst's renderer, OverTime comes out as a SystemError or KeyError.
        return on_timeout()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
