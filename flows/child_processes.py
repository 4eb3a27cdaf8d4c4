"""Child processes never outlive a killed parent.

A run killed with SIGKILL gets no chance to stop its process pool or Prefect's temporary server; left
alone they would run on as orphans. Two guards, because each covers what the other cannot:

* Linux's parent-death signal (`prctl(PR_SET_PDEATHSIG)`), set in the child before it runs anything:
  the kernel kills the child when the thread that started it ends. It is the only guard for a child
  that runs someone else's code (the Prefect server), started from the main thread;
* a watchdog thread in pool workers that exits when the parent's pid changes (the child was reparented),
  which also holds on systems without prctl and when the pool was started from a worker thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_WATCH_S = 0.5


def kill_me_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; elsewhere nothing). Safe in a
    `preexec_fn`: no allocation beyond the call, no threads."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def pool_worker_init() -> None:
    """ProcessPoolExecutor initializer: die with the parent, however it dies."""
    parent = os.getppid()
    kill_me_with_parent()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_S)
    os._exit(1)
