"""A real PostgreSQL server for tests: own data dir, free loopback port, stopped after.

``PostgresServer(base_dir)`` runs ``initdb`` into a fresh directory and starts ``postgres``
on ``127.0.0.1:<free port>`` (TCP only, password authentication, durability off for speed),
in its own process group with ``PR_SET_PDEATHSIG`` like the emulators. ``query_json()``
reads rows back through ``psql`` (no Python driver needed in the dev venv).

Binaries: ``TAP_LOOKER_PG_BIN`` (a dir holding ``initdb``/``postgres``/``psql``), else the
newest ``/usr/lib/postgresql/<version>/bin`` (Debian's ``postgresql`` package, which
.ci/run installs when missing), else ``PATH``.

PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` system user
(created by the Debian package) and its directory lives under the system temp dir, outside
pytest's root-only ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .emulators import LOOPBACK, _set_pdeathsig, free_port

SUPERUSER = "postgres"
DATABASE = "warehouse"


class PostgresStartError(RuntimeError):
    """The server did not become ready."""


def postgres_bin_dir() -> Path:
    """Where ``initdb``, ``postgres`` and ``psql`` live; a one-line error when nowhere."""
    env_dir = os.environ.get("TAP_LOOKER_PG_BIN")
    if env_dir:
        return Path(env_dir)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    msg = "PostgreSQL binaries not found: apt-get install postgresql, or set TAP_LOOKER_PG_BIN"
    raise PostgresStartError(msg)


class PostgresServer:
    """A throwaway PostgreSQL cluster with one database and a password-protected superuser."""

    start_timeout = 60.0

    def __init__(self, base_dir: str | os.PathLike[str] | None = None) -> None:
        self.bin_dir = postgres_bin_dir()
        self._run_as = self._server_user()
        # a root-only pytest tmp dir is not reachable by the postgres user
        parent = None if self._run_as else base_dir
        self.base_dir = Path(tempfile.mkdtemp(prefix="postgres-", dir=parent)).resolve()
        self.data_dir = self.base_dir / "data"
        self.log_path = self.base_dir / "postgres.log"
        self.host = LOOPBACK
        self.port = 0
        self.user = SUPERUSER
        self.password = secrets.token_hex(12)
        self.database = DATABASE
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def _server_user() -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError as exc:
            msg = "running as root needs the 'postgres' system user (apt-get install postgresql)"
            raise PostgresStartError(msg) from exc
        return SUPERUSER

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if self._proc is not None:
            return self
        try:
            self._initdb()
            for attempt in range(3):
                self.port = free_port(self.host)
                try:
                    self._spawn_and_wait()
                    break
                except PostgresStartError:
                    self._kill()
                    if attempt == 2:
                        raise
            self._psql("postgres", f"CREATE DATABASE {self.database}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for clients ---------------------------------------------------------------------
    def target_env(self, prefix: str = "TARGET_POSTGRES") -> dict[str, str]:
        """Connection settings as a Meltano loader reads them from the environment."""
        return {
            f"{prefix}_HOST": self.host,
            f"{prefix}_PORT": str(self.port),
            f"{prefix}_USER": self.user,
            f"{prefix}_PASSWORD": self.password,
            f"{prefix}_DATABASE": self.database,
        }

    def query_json(self, sql: str) -> list[dict[str, Any]]:
        """Rows of ``sql`` as JSON objects (``row_to_json``: timestamps as ISO strings)."""
        out = self._psql(
            self.database, f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({sql}) q"
        )
        rows: list[dict[str, Any]] = json.loads(out)
        return rows

    def scalar(self, sql: str) -> str:
        return self._psql(self.database, sql).strip()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # -- internals -----------------------------------------------------------------------
    def _chown(self, path: Path) -> None:
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        self._chown(self.base_dir)
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        proc = subprocess.run(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                self.user,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ],
            user=self._run_as,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.base_dir,
        )
        pwfile.unlink()
        if proc.returncode != 0:
            msg = f"initdb exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
            raise PostgresStartError(msg)

    def _spawn_and_wait(self) -> None:
        command = [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-c",
            f"listen_addresses={self.host}",
            "-c",
            "unix_socket_directories=",
            # a test database: durability buys nothing here
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self._run_as,
                cwd=self.base_dir,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                msg = f"postgres exited with {self._proc.returncode}:\n{self.log_tail()}"
                raise PostgresStartError(msg)
            ready = subprocess.run(
                [
                    str(self.bin_dir / "pg_isready"),
                    "-q",
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                ],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        msg = f"postgres not ready on {self.host}:{self.port} after {self.start_timeout}s"
        raise PostgresStartError(f"{msg}:\n{self.log_tail()}")

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # SIGINT: "fast" shutdown (SIGTERM would wait for clients to disconnect)
        for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def _psql(self, database: str, sql: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG") or k == "PGTZ"}
        env.update(PGPASSWORD=self.password, PGCONNECT_TIMEOUT="10", PGTZ="UTC")
        proc = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--set",
                "ON_ERROR_STOP=1",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--username",
                self.user,
                "--dbname",
                database,
                "--command",
                sql,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if proc.returncode != 0:
            msg = f"psql exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
            raise RuntimeError(msg)
        return proc.stdout
