"""``python -m lossdash.bench [section ...]``: run the named sections (all by default)."""

from __future__ import annotations

import importlib
import os
import sys
import time

# Small matrices run faster on one BLAS thread, and two libraries each spinning up their own
# thread pools on a 2-core machine starve each other (set before numpy is first imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

SECTIONS = ("engine", "landscape", "sweep", "charts", "dashboard", "search", "sessions",
            "memory")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    import numpy

    numpy.seterr(all="ignore")
    print(f"numpy {numpy.__version__}; {time.strftime('%Y-%m-%d %H:%M')}")
    for name in argv or SECTIONS:
        if name not in SECTIONS:
            print(f"unknown section {name!r}; choose from {', '.join(SECTIONS)}")
            return 2
        importlib.import_module(f"lossdash.bench.{name}").run()
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
