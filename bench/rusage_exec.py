"""Run a command as the child of this small process; write its own rusage as JSON.

``python -S bench/rusage_exec.py OUT.json CMD [ARG...]``

On Linux a process's ``ru_maxrss`` includes the high-water mark of the memory it had before
``exec``: a child forked straight from the (large) bench process would report the bench's
RSS as its own. Forked from this ~10 MB process instead, the figure is the command's own.
Wall time is taken here too, from fork to exit, without this launcher's start-up.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    out, cmd = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(cmd[0], cmd)  # noqa: S606 - argv as given, no shell
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "maxrss_kib": usage.ru_maxrss,
                "returncode": code,
            },
            f,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
