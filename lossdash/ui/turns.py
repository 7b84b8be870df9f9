"""The server's CPU-heavy work takes turns: two training chunks or live frames at a time.

Python runs one thread's bytecode at a time (the GIL), so twenty runs training at once train no
faster than one run at a time; but twenty threads asking for the GIL starve the threads that
answer the users (Streamlit's event loop and the script runs of their clicks). With 20 sessions
playing on two cores, the last pages to press Play never saw their click answered (16 of 20
answered a minute later). Taking turns, first come first served, a click's script run competes
with two such threads, not twenty, and every session gets its share: each training thread and
each feed worker waits behind at most one chunk or frame of every other.
"""

from __future__ import annotations

import collections
import threading


class Turns:
    """A semaphore handed on in the order it was asked for: at most ``slots`` holders, the
    rest wait first come, first served (``threading.Lock`` lets the thread that released it
    take it straight back, so one run could keep the turn).

    Two slots, not one: a turn handed on is idle until the OS runs the thread it woke, which
    on a machine busy with browsers took long enough that one slot left the server's core idle
    half the time (sessions bench: 0.48 cores used with one slot, ~1 with none).

    Use as a context manager: ``with TURNS: <one chunk of training, or one frame>``.
    """

    def __init__(self, slots: int = 2):
        self._guard = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def __enter__(self):
        with self._guard:
            if self._free and not self._waiting:
                self._free -= 1
                return self
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # set by a thread whose turn ended: its slot is ours
        return self

    def __exit__(self, *exc):
        with self._guard:
            if self._waiting:
                self._waiting.popleft().set()  # handed on, never free in between
            else:
                self._free += 1


TURNS = Turns()  # the process's training chunks and live frames, two at a time
