"""The server's heap: a large block freed goes back to the system, not into glibc's heap."""

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from lossdash.ui import heap


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def libc():
    lib = heap._libc()
    if lib is None or not hasattr(lib, "mallinfo2"):
        pytest.skip("glibc 2.33+ only (mallinfo2)")
    lib.mallinfo2.restype = Mallinfo2
    lib.malloc.restype = ctypes.c_void_p
    lib.free.argtypes = [ctypes.c_void_p]
    return lib


def own_mappings(lib, size):
    """How many blocks glibc serves from their own mmap while one block of ``size`` is held."""
    block = lib.malloc(size)
    try:
        return lib.mallinfo2().hblks
    finally:
        lib.free(block)


FRESH = """
import ctypes
from lossdash.ui import heap
from tests.ui.test_heap import libc, own_mappings
lib = libc()
assert heap.keep_large_blocks_apart()
lib.free(lib.malloc(4 << 20))  # freed: would raise a dynamic threshold to 4 MiB
alone = lib.mallinfo2().hblks
held = own_mappings(lib, 256 << 10)
print(alone, held, lib.mallinfo2().hblks)
"""


def test_large_blocks_keep_their_own_mapping_after_a_larger_one_is_freed():
    """glibc's dynamic threshold would put a 256 KiB block into the heap once a 4 MiB one had
    been freed (the threshold rises to 4 MiB): there, between small objects, its pages stay
    resident after it is freed. With the fixed threshold it is mapped, and unmapped when freed.

    In a fresh interpreter, as in the server at its start: glibc serves any block from a free
    chunk of the heap when it has one big enough, whatever the threshold, and a test process
    that has run other tests has such chunks."""
    libc()  # skips where there is no glibc 2.33+
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", FRESH], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    alone, held, after = map(int, out.split())
    assert held == alone + 1  # the 256 KiB block has its own mapping
    assert after == alone  # freed: unmapped at once


def test_small_blocks_stay_in_the_heap():
    lib = libc()
    heap.keep_large_blocks_apart()
    alone = lib.mallinfo2().hblks
    assert own_mappings(lib, 64 << 10) == alone


def test_release_runs_anywhere():
    heap.release()  # gc + malloc_trim on glibc; gc alone elsewhere


FROZEN = """
import gc, time
from lossdash.ui import heap
import app  # noqa: F401  (the server's imports, as streamlit run imports app.py)
gc.unfreeze()
t0 = time.perf_counter(); gc.collect(); before = time.perf_counter() - t0
tracked = len(gc.get_objects())
frozen = heap.freeze_startup()
t0 = time.perf_counter(); gc.collect(); after = time.perf_counter() - t0
print(tracked, frozen, len(gc.get_objects()), before, after)
"""


def test_the_server_leaves_its_imports_out_of_every_collection():
    """In a fresh interpreter with the server's imports: every object tracked then is frozen,
    and a full collection afterwards walks almost none of them."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", FROZEN], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    tracked, frozen, left, before, after = out.split()
    assert int(frozen) >= 0.9 * int(tracked) > 100_000  # Streamlit and Plotly: many objects
    assert int(left) < 0.01 * int(tracked)  # what the collector still walks
    print(f"full collection {float(before) * 1e3:.0f} -> {float(after) * 1e3:.0f} ms")


def test_the_memory_of_sessions_goes_back_once_they_have_gone():
    """A release shortly after each disconnect (Streamlit drops expired sessions then), and no
    watching thread once no session is left to follow."""
    import threading

    released = threading.Event()
    watcher = heap.Watcher(seconds=0.02, release=released.set)
    connected = {"a", "b"}
    watcher.watch("a", lambda: "a" in connected)
    watcher.watch("b", lambda: "b" in connected)
    thread = watcher.thread
    assert thread.is_alive() and not released.wait(0.2)  # both still connected
    connected.discard("a")
    assert released.wait(10)
    assert thread.is_alive() and list(watcher.sessions) == ["b"]  # b is still there
    released.clear()

    def broken():
        raise RuntimeError("the runtime is shutting down")

    watcher.watch("b", broken)  # a runtime that cannot answer: nothing left to follow
    assert released.wait(10)
    thread.join(10)
    assert not thread.is_alive() and watcher.thread is None
    watcher.watch("c", lambda: "c" in connected)  # a later session: a new thread
    later = watcher.thread
    assert later is not None and later is not thread
    connected.clear()
    later.join(10)
    assert not later.is_alive() and watcher.thread is None
