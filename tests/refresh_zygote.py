"""A warmed-up process that forks refreshes on request, for the fault tests.

Killing a refresh at a random moment then costs a fork, not a Python start with pandas,
geopandas and DuckDB imported (about 1.5 s each on the development VM). Commands on stdin, one
per line, answered on stdout:

- ``fork KEEP DATA_DIR``: fork a child that runs ``run_refresh(DATA_DIR, keep=KEEP)`` and exits
  0 (switched) or 1; answers the child's process id.
- ``wait PID``: wait for that child; answers its exit status (``-9`` when killed by SIGKILL).

The zygote refreshes once before it answers (a warm-up); its worker threads are gone by then
(pyarrow's own pool is made again in a forked child).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from response_atlas.ingest.refresh import import_refresh_modules, run_refresh


def warm_up() -> None:
    """One refresh of a throwaway folder, so the children start with every lazy import and
    first-use setup done (the validation backend, the county outline, the rules)."""
    import tempfile

    from tests.unit.test_ingest_refresh import make_data_dir

    with tempfile.TemporaryDirectory() as folder:
        assert run_refresh(make_data_dir(Path(folder) / "d"), progress=False).ok


def main() -> None:
    import_refresh_modules()
    warm_up()
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split(maxsplit=2)
        if command == "fork":
            pid = os.fork()
            if pid == 0:  # the child: refresh, then leave without running the parent's cleanup
                code = 1
                try:
                    code = 0 if run_refresh(Path(args[1].strip()), keep=int(args[0]), progress=False,
                                            wait_s=60).ok else 1
                finally:
                    os._exit(code)
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
