"""promptlint: static analysis of LLM call sites for prompt-cost problems."""

__version__ = "0.1.0"


def tune_gc() -> None:
    """Collect garbage every 200,000 allocations instead of 700. libcst builds hundreds of
    thousands of long-lived nodes and the analysis makes few reference cycles, so with
    CPython's defaults full collections kept rescanning live trees: 1.3 s of a 6 s run on
    crewAI, for no memory saved (peak RSS the same). At 50,000, the middle generation still
    rescanned the project index's `ast` trees kept for the engine (trees.py): four collections,
    0.3 s of a cold crewAI run; at 200,000 none (peak RSS the same, 304 MB). Called by the CLI
    and in each worker.

    At exit, everything still alive is frozen (gc.freeze): the interpreter's own collections
    while it shuts down would scan the run's trees and caches, a million objects, several times
    over, only to free memory the process hands back anyway (1.2 s of a 7.3 s cold crewAI run).
    Workers leave by os._exit and never get there."""
    import atexit
    import gc

    gc.set_threshold(200_000, 20, 100)
    atexit.unregister(gc.freeze)  # once, however often the CLI is run in this process (tests)
    atexit.register(gc.freeze)
