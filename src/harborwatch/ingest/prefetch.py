"""Read-ahead in a worker thread, with bounded memory and errors raised where they belong."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def prefetch(items: Iterable[T], fn: Callable[[T], U], depth: int = 2) -> Iterator[tuple[T, U]]:
    """``(item, fn(item))`` for each item, in order, the iteration and ``fn`` running in a worker
    thread up to ``depth`` items ahead (so memory stays bounded). An exception there is raised
    here, at the item it happened on; closing this generator stops the worker."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(x: object) -> bool:
        while not stop.is_set():
            try:
                q.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for it in items:
                if not put((it, fn(it))):
                    return
            put(done)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    t = threading.Thread(target=work, name="harborwatch-prefetch", daemon=True)
    t.start()
    try:
        while True:
            x = q.get()
            if x is done:
                return
            if isinstance(x, BaseException):
                raise x
            yield x
    finally:
        stop.set()
        t.join()


__all__ = ["prefetch"]
