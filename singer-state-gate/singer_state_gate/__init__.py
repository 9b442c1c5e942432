"""Run a Singer target and release its STATE only after the target exited 0.

Why: a Singer target prints a STATE line to say "everything before this is durable". Some
targets print it too early. z3-target-bigquery 0.7.2 with ``method: gcs_stage`` prints STATE
after a mid-run drain that only *staged* the batch to GCS; the BigQuery load job and MERGE
run at end of input. Meltano stores every STATE line as it arrives, so a run that dies in
between leaves a bookmark ahead of the warehouse, and the next run skips those rows for good.

The gate sits between Meltano and the real target:

- stdin is inherited: the target reads the tap's stream directly, nothing is copied;
- stderr is passed through line by line: the target's logs are untouched;
- every JSON line the target writes on stdout (a STATE) is held back; only the last one is
  written, once, after the target exited 0 (i.e. after its final load and MERGE succeeded);
- on a non-zero exit or a signal, nothing is written and the gate exits with the target's
  code (128 + N for signal N), so the stored bookmark stays where it was and the rerun
  repeats the lost work (the MERGE on the key makes the repeat idempotent); it ends with
  one line that repeats the target's last exception line (the cause, not the traceback);
- SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to the target; if the gate itself dies,
  the kernel sends the target SIGTERM (Linux ``PR_SET_PDEATHSIG``);
- ``--about``, ``--help`` and ``--version`` run the target untouched.

Standard library only, so it installs into any target's virtualenv.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["PROG", "gate", "main", "target_bigquery"]

PROG = "singer-state-gate"
PASSTHROUGH_FLAGS = frozenset({"--about", "--help", "-h", "--version"})
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
_PR_SET_PDEATHSIG = 1
# The last line of a Python traceback: "package.module.SomeError: message".
_EXCEPTION_LINE = re.compile(
    rb"^(?:[A-Za-z_][\w.]*\.)?"
    rb"((?:[A-Za-z_]\w*)?(?:Error|Exception|Exit|NotFound|Forbidden|BadRequest|Unauthorized|Conflict"
    rb"|Timeout|Unavailable))(?:: (.*))?$"
)


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()


def resolve_executable(name: str) -> str | None:
    """``name`` itself if it has a slash, else the file next to this script, else ``PATH``."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    for directory in (Path(sys.argv[0]).absolute().parent, Path(sys.executable).parent):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _is_state_line(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def gate(
    executable: str, args: list[str], *, prefix: list[str] | None = None, name: str | None = None
) -> int:
    """Run ``[*prefix] executable args`` as a gated Singer target; return the exit code.

    ``prefix`` (e.g. ``[sys.executable, "-m"]``) runs ``executable`` as is, unresolved.
    """
    if prefix:
        path, command = executable, [*prefix, executable, *args]
    else:
        resolved = resolve_executable(executable)
        if resolved is None:
            _error(f"target executable {executable!r} not found")
            return 127
        path, command = resolved, [resolved, *args]
    if PASSTHROUGH_FLAGS.intersection(args):
        os.execv(command[0], command)  # noqa: S606 - the target, as the user configured it

    try:
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    except OSError as exc:
        _error(f"cannot start target {path}: {exc}")
        return 126

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)

    last_error: list[bytes] = []

    def pass_stderr() -> None:  # the target's logs, untouched; remember its last exception
        assert child.stderr is not None
        for raw in child.stderr:
            sys.stderr.buffer.write(raw)
            sys.stderr.flush()
            match = _EXCEPTION_LINE.match(raw.rstrip(b"\r\n"))
            if match:
                last_error[:] = [raw.strip()]

    stderr_thread = threading.Thread(target=pass_stderr, daemon=True)
    stderr_thread.start()

    last_state: bytes | None = None
    held = 0
    assert child.stdout is not None
    for raw in child.stdout:
        line = raw.strip()
        if not line:
            continue
        if _is_state_line(line):
            last_state = line
            held += 1
        else:  # not a STATE: do not let it reach the bookmark writer, but do not lose it
            sys.stderr.buffer.write(raw if raw.endswith(b"\n") else raw + b"\n")
            sys.stderr.flush()
    child.stdout.close()
    returncode = child.wait()
    stderr_thread.join(timeout=10)

    if returncode != 0:
        code = 128 - returncode if returncode < 0 else returncode
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
        cause = f" ({last_error[0].decode(errors='replace')[:500]})" if last_error else ""
        _error(
            f"target {name or Path(path).name} {how}{cause}; "
            f"{held} STATE message(s) withheld, the bookmark is not advanced"
        )
        return code
    if last_state is not None:
        try:
            sys.stdout.buffer.write(last_state + b"\n")
            sys.stdout.flush()
        except BrokenPipeError:
            _error("cannot write the final STATE: stdout is closed")
            return 1
    return 0


def main() -> None:
    """``singer-state-gate TARGET [ARGS...]``."""
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        sys.stderr.write(f"usage: {PROG} TARGET [TARGET ARGS...]\n\n{__doc__}")
        sys.exit(2 if len(sys.argv) < 2 else 0)
    sys.exit(gate(sys.argv[1], sys.argv[2:]))


def target_bigquery() -> None:
    """``target-bigquery-gated [ARGS...]``: z3-target-bigquery (with its fixes), gated."""
    sys.exit(
        gate(
            "singer_state_gate.z3_target_bigquery",
            sys.argv[1:],
            prefix=[sys.executable, "-m"],
            name="target-bigquery",
        )
    )
