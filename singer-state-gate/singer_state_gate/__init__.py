"""Run a Singer target and release its STATE only after the target exited 0.

Why: a Singer target prints a STATE line to say "everything before this is durable". Some
targets print it too early. z3-target-bigquery 0.7.2 with ``method: gcs_stage`` prints STATE
after a mid-run drain that only *staged* the batch to GCS; the BigQuery load job and MERGE
run at end of input. Meltano stores every STATE line as it arrives, so a run that dies in
between leaves a bookmark ahead of the warehouse, and the next run skips those rows for good.

The gate sits between Meltano and the real target:

- stdin is inherited: the target reads the tap's stream directly, nothing is copied;
- stderr is passed through line by line: the target's logs are untouched;
- every Singer STATE the target writes on stdout is held back; only the last one is written,
  once, after the target exited 0 (i.e. after its final load and MERGE succeeded);
- a stdout line is a STATE only if it is a JSON object whose top-level keys are Singer state
  keys (``bookmarks``, ``currently_syncing``) and whose ``bookmarks`` is an object, or ``{}``
  (the state a singer-sdk tap starts with). Targets print the state *value* they received
  (singer-sdk ``Target._write_state_message``, singer-python targets' ``emit_state``), and
  singer-sdk taps keep everything under ``bookmarks``. Meltano stores any other non-empty JSON
  line (a log object, a summary) as the complete state and the next run reloads everything,
  so such lines are never forwarded: they go to stderr with a note, like any other stdout
  line that is not a STATE (see ``STATE_KEYS``);
- stdout is read to its end, but for at most ``SINGER_STATE_GATE_EXIT_GRACE_SECONDS``
  (default 5) after the target exited: a process the target left running can hold the pipe
  open for good, and everything the target itself printed is in the pipe when it exits, so
  the bounded wait loses none of it (stderr gets the same bound);
- on a non-zero exit or a signal, nothing is written and the gate exits with the target's
  code (128 + N for signal N), so the stored bookmark stays where it was and the rerun
  repeats the lost work (the MERGE on the key makes the repeat idempotent); it ends with
  one line that repeats the target's last exception line (the cause, not the traceback),
  and a reader left on the tap's pipe keeps Meltano from burying it (see
  ``_discard_input_after_exit``);
- SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to the target; if the gate itself dies,
  the kernel sends the target SIGTERM (Linux ``PR_SET_PDEATHSIG``);
- after any signal the gate received (and forwarded), nothing is written *whatever the
  target's exit code*: singer-sdk targets from 0.47 catch SIGTERM, drain and print STATE,
  then exit 0, and a signal that lands during a drain can leave that STATE ahead of what
  was committed (meltano/sdk issue 3775); the gate exits 128 + N;
- a target that has not stopped ``SINGER_STATE_GATE_STOP_SECONDS`` (default 30) after a
  forwarded signal is killed (SIGKILL): its output is discarded anyway, and singer-sdk
  targets can deadlock in their own SIGTERM handler (it drains the sinks in worker threads
  that log while the interrupted main thread holds the logging lock), which would otherwise
  hang the run until the orchestrator kills everything;
- a STATE whose ``bookmarks`` hold no bookmark at all (``{}``, ``{"bookmarks": {}}``, also
  with a ``currently_syncing``) is never written:
  Meltano would store it as the complete state and erase the stored bookmarks (a tap
  stopped by SIGTERM prints its state as it was, possibly ``{}``; SDK targets echo it,
  meltano/sdk issue 3000). If it comes after a STATE that did hold bookmarks, the run went
  backwards: nothing is written and the gate exits 1;
- ``--about``, ``--help`` and ``--version`` run the target untouched.

Standard library only, so it installs into any target's virtualenv.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PROG", "gate", "holds_a_bookmark", "main"]

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
# A one-line error of a well-behaved command: "some-program: error: message".
_ERROR_LINE = re.compile(rb"^[A-Za-z0-9_.-]+: error: \S")


# How long the reader left behind by a failed target's gate may live (see
# _discard_input_after_exit); it normally ends with the run.
DISCARD_SECONDS = 300.0
# How long a target may take to stop after a forwarded signal before it is killed.
STOP_SECONDS_ENV = "SINGER_STATE_GATE_STOP_SECONDS"
DEFAULT_STOP_SECONDS = 30.0
# How long the gate reads the target's stdout after the target exited (see _TargetStdout).
EXIT_GRACE_SECONDS_ENV = "SINGER_STATE_GATE_EXIT_GRACE_SECONDS"
DEFAULT_EXIT_GRACE_SECONDS = 5.0
# While the target runs and its stdout is quiet, how often the gate checks that it still runs.
_EXIT_POLL_SECONDS = 0.2

# The top-level keys of a Singer state. singer-sdk taps keep their whole state under
# "bookmarks" (singer_sdk.helpers._state.write_stream_state; Tap.load_state reads nothing
# else); singer-python taps also set "currently_syncing" (singer.bookmarks). Meltano stores
# the target's stdout line verbatim as the state (BookmarkWriter), so a JSON object with any
# other key (a log object, a summary, Meltano's own {"singer_state": ...} wrapping) is not one.
STATE_KEYS = frozenset({"bookmarks", "currently_syncing"})
_NOT_A_STATE = f"{PROG}: not a Singer STATE, not forwarded: ".encode()


def _error(message: str) -> None:
    _note(f"error: {message}")


def _note(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
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


def _parse_state(line: bytes) -> dict[str, object] | None:
    """The Singer state a target's stdout line holds, else None (see ``STATE_KEYS``)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or not STATE_KEYS.issuperset(value):
        return None
    if value and not isinstance(value.get("bookmarks"), dict):
        return None  # e.g. {"currently_syncing": "s"} alone, or "bookmarks" that is no object
    return value


def holds_a_bookmark(value: object) -> bool:
    """Whether a STATE value holds anything but empty objects/lists and nulls."""
    if isinstance(value, dict):
        return any(holds_a_bookmark(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_a_bookmark(v) for v in value)
    return value is not None


class _HeldStates:
    """The STATE messages the target printed: how many, the last one, what they held."""

    def __init__(self) -> None:
        self.count = 0
        self.last: bytes | None = None
        self.last_empty = False  # the last STATE holds no bookmark
        self.bookmarked = False  # some STATE of this run held a bookmark

    def take(self, raw: bytes) -> None:
        """Hold the stdout line ``raw`` if it is a STATE, else pass it to stderr with a note."""
        line = raw.strip()
        if not line:
            return
        state = _parse_state(line)
        if state is None:  # it must not reach the bookmark writer, but it must not be lost
            sys.stderr.buffer.write(_NOT_A_STATE + raw.rstrip(b"\r\n") + b"\n")
            sys.stderr.flush()
            return
        self.count += 1
        self.last = line
        # Only "bookmarks" counts: {"bookmarks": {}, "currently_syncing": "s"} erases them too.
        self.last_empty = not holds_a_bookmark(state.get("bookmarks"))
        self.bookmarked = self.bookmarked or not self.last_empty


class _TargetStdout:
    """The target's stdout, line by line, until EOF or ``grace`` seconds after the target exited.

    A process the target left running (``sleep 600 &`` in a wrapper script) holds the pipe
    open after the target exited, possibly for good. Everything the target itself wrote is in
    the pipe by the time it exits (a write into a full pipe waits for the gate to read), so
    reading what is there, and whatever comes within the grace period, loses none of it.
    """

    def __init__(self, child: subprocess.Popen[bytes], grace: float) -> None:
        assert child.stdout is not None
        self._child = child
        self._stream = child.stdout
        self._grace = grace
        self._closes_at: float | None = None  # the end of the grace period (monotonic)

    def grace_left(self) -> float:
        """Seconds left of the grace period, which starts once the target is seen to exit."""
        if self._closes_at is None:
            if self._child.poll() is None:
                return math.inf
            self._closes_at = time.monotonic() + self._grace
        return self._closes_at - time.monotonic()

    def lines(self) -> Iterator[bytes]:
        """Each line without its newline (the last one may have none); then close the pipe."""
        parts: list[bytes] = []  # the line being read, chunk by chunk
        try:
            while chunk := self._read():
                if b"\n" not in chunk:
                    parts.append(chunk)
                    continue
                *complete, rest = b"".join([*parts, chunk]).split(b"\n")
                parts = [rest]
                yield from complete
            if tail := b"".join(parts):
                yield tail
        finally:
            self._stream.close()

    def _read(self) -> bytes:
        """The next chunk of stdout; b"" at EOF or once the grace period is over."""
        # Unbuffered reads on the descriptor: select() cannot see what a reader buffered.
        fd = self._stream.fileno()
        while (wait := min(_EXIT_POLL_SECONDS, self.grace_left())) > 0:
            ready, _, _ = select.select([fd], [], [], wait)
            if ready:
                return os.read(fd, 1 << 16)
        _note(
            f"the target exited, but its stdout was still open {self._grace:g} s later (held by "
            "a process it left running?); stopped reading it"
        )
        return b""


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
    stop_seconds = _env_seconds(STOP_SECONDS_ENV, DEFAULT_STOP_SECONDS)
    exit_grace = _env_seconds(EXIT_GRACE_SECONDS_ENV, DEFAULT_EXIT_GRACE_SECONDS)
    if stop_seconds is None or exit_grace is None:
        return 2

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

    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if not received:
            killer = threading.Timer(stop_seconds, _kill, args=(child,))
            killer.daemon = True
            killer.start()
        received.append(signum)
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
            line = raw.rstrip(b"\r\n")
            if _EXCEPTION_LINE.match(line) or _ERROR_LINE.match(line):
                last_error[:] = [raw.strip()]

    stderr_thread = threading.Thread(target=pass_stderr, daemon=True)
    stderr_thread.start()

    held = _HeldStates()
    stdout = _TargetStdout(child, exit_grace)
    for line in stdout.lines():
        held.take(line)
    returncode = child.wait()
    # The target's last exception line may still be on its way; stderr can be held open too.
    stderr_thread.join(timeout=max(0.0, stdout.grace_left()))

    target = name or Path(path).name
    withheld = f"{held.count} STATE message(s) withheld, the bookmark is not advanced"
    if returncode == -signal.SIGKILL and received:
        _error(
            f"target {target} did not stop within {stop_seconds:g} s after the gate forwarded "
            f"{_signal_name(received[0])} and was killed; {withheld}"
        )
        return 128 + received[0]
    if returncode != 0:
        if not received:
            _discard_input_after_exit()
        code = 128 - returncode if returncode < 0 else returncode
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
        cause = f" ({last_error[0].decode(errors='replace')[:500]})" if last_error else ""
        signalled = f" after the gate forwarded {_signal_name(received[0])}" if received else ""
        _error(f"target {target} {how}{signalled}{cause}; {withheld}")
        return code
    if received:
        # singer-sdk >= 0.47 targets catch SIGTERM, drain, print STATE and exit 0; a
        # signal during a drain can leave that STATE ahead of the data (meltano/sdk 3775).
        _error(
            f"target {target} exited 0 after the gate forwarded {_signal_name(received[0])} "
            f"to it: its STATE cannot be trusted; {withheld}"
        )
        return 128 + received[0]
    if held.last is not None and held.last_empty:
        if held.bookmarked:
            _error(
                f"target {target}'s last STATE holds no bookmark after STATE messages that "
                f"did (was the tap stopped?); {withheld}"
            )
            return 1
        _note(
            "the target's STATE holds no bookmark; not written (it would erase the stored "
            "bookmarks)"
        )
        return 0
    if held.last is not None:
        try:
            sys.stdout.buffer.write(held.last + b"\n")
            sys.stdout.flush()
        except BrokenPipeError:
            _error("cannot write the final STATE: stdout is closed")
            return 1
    return 0


def _env_seconds(name: str, default: float) -> float | None:
    """The seconds the environment variable ``name`` sets, ``default`` if unset; None if bad."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86400:
        _error(f"{name} must be a number of seconds between 0 and 86400, not {raw!r}")
        return None
    return seconds


def _kill(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        child.kill()


def _discard_input_after_exit() -> None:
    """Leave a reader on the tap's stream (a pipe) that outlives the gate.

    Meltano copies the tap's output into the loader's stdin. Once the gate has exited, Meltano
    stops the tap, but a write already under way into a pipe nobody reads raises
    BrokenPipeError and Meltano prints tracebacks after the gate's one-line cause
    (meltano/meltano#7047). A forked reader keeps the pipe open and discards what arrives
    until Meltano closes it (end of the run, or Meltano's death; at most DISCARD_SECONDS).
    It holds nothing else, so Meltano still sees the gate's stdout and stderr end with it.
    """
    try:
        if not stat.S_ISFIFO(os.fstat(0).st_mode):
            return  # a terminal or a file: nobody writes into it
        pid = os.fork()
    except OSError:
        return
    if pid:
        return
    try:  # the reader: default signal handling, no descriptor but stdin
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.closerange(3, 65536)
        deadline = time.monotonic() + DISCARD_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([0], [], [], left)
            if not ready or not os.read(0, 1 << 16):
                break
    finally:
        os._exit(0)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def main() -> None:
    """``singer-state-gate TARGET [ARGS...]``."""
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        sys.stderr.write(f"usage: {PROG} TARGET [TARGET ARGS...]\n\n{__doc__}")
        sys.exit(2 if len(sys.argv) < 2 else 0)
    sys.exit(gate(sys.argv[1], sys.argv[2:]))
