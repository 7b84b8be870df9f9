"""The server's heap: a large block freed goes back to the system, not into glibc's heap."""

import ctypes

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


def test_large_blocks_keep_their_own_mapping_after_a_larger_one_is_freed():
    """glibc's dynamic threshold would put a 256 KiB block into the heap once a 4 MiB one had
    been freed (the threshold rises to 4 MiB): there, between small objects, its pages stay
    resident after it is freed. With the fixed threshold it is mapped, and unmapped when freed."""
    lib = libc()
    assert heap.keep_large_blocks_apart()
    lib.free(lib.malloc(4 << 20))  # freed: would raise a dynamic threshold to 4 MiB
    alone = lib.mallinfo2().hblks
    assert own_mappings(lib, 256 << 10) == alone + 1
    assert lib.mallinfo2().hblks == alone  # freed: unmapped at once


def test_small_blocks_stay_in_the_heap():
    lib = libc()
    heap.keep_large_blocks_apart()
    alone = lib.mallinfo2().hblks
    assert own_mappings(lib, 64 << 10) == alone


def test_release_runs_anywhere():
    heap.release()  # gc + malloc_trim on glibc; gc alone elsewhere
