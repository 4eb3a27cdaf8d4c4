"""Peak memory of the fetcher under a gzip bomb: 1 GiB of zeros, gzip-compressed (about 1 MB on the wire),
served from 127.0.0.1 by a child process and fetched here by the production `fetch_all`, 10 MB cap.

    .venv/bin/python -m bench.fetch_bomb             # every scenario, each in a fresh process
    .venv/bin/python -m bench.fetch_bomb burst-x16   # one scenario, in this process

`ru_maxrss` is a high-water mark for the whole process, so each scenario runs in a process of its own;
"before" is the peak once everything is imported and the server is up, "after" the peak once the fetches
are done. The bomb is served streamed (chunked, 8 KB pieces) or in one burst (one write of the whole
body, so every read finds a full 64 KB of compressed zeros waiting).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from multiprocessing import get_context
from multiprocessing.connection import Connection

from extractors.http import fetch_all
from flows.config import HttpSettings
from tests.extractors.fault_server import FaultServer

BOMB = 1024 * 1024 * 1024
CAP = 10_000_000
SCENARIOS = {  # name: (route, concurrent fetches)
    "streamed": ("/bomb/streamed", 1),
    "burst": ("/bomb/burst", 1),
    "streamed-x16": ("/bomb/streamed", 16),
    "burst-x16": ("/bomb/burst", 16),
}


def _serve(ready: Connection) -> None:
    server = FaultServer(bomb_size=BOMB)  # compresses the gigabyte here, in the child
    ready.send(server.port)
    server.serve_forever()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(name: str) -> None:
    route, count = SCENARIOS[name]
    ready, child_end = get_context("spawn").Pipe()
    server = get_context("spawn").Process(target=_serve, args=(child_end,), daemon=True)
    server.start()
    try:
        if not ready.poll(120):
            raise SystemExit("the bomb server did not start within 120 s")
        url = f"http://127.0.0.1:{ready.recv()}{route}"
        local = {"allowed_private_hosts": ("127.0.0.1",), "per_host_delay_s": 0.0}  # 16 at once, one host
        settings = HttpSettings(max_body_bytes=CAP, concurrency=16, **local)
        before = _peak_mb()
        started = time.monotonic()
        results = fetch_all(settings, [(url, None)] * count)
        elapsed = time.monotonic() - started
        after = _peak_mb()
    finally:
        server.kill()
        server.join()
    outcomes = sorted({r.outcome.value for r in results})
    print(
        f"{name:<13} fetches {count:>2}  outcomes {','.join(outcomes):<10} "
        f"peak RSS before {before:6.1f} MB  after {after:6.1f} MB  (+{after - before:5.1f})  {elapsed:5.2f} s"
    )


def main(argv: list[str]) -> None:
    if argv:
        for name in argv:
            if name not in SCENARIOS:
                raise SystemExit(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
            run_one(name)
        return
    print(f"gzip bomb: {BOMB / 2**30:g} GiB of zeros; cap {CAP / 1e6:g} MB")
    for name in SCENARIOS:
        subprocess.run([sys.executable, "-m", "bench.fetch_bomb", name], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
