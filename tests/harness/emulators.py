"""Start and stop the local GCP emulators as real servers on 127.0.0.1.

Classes (all context managers; ``start()``/``stop()`` also work):

``GcsEmulator(data_dir)``
    ``gcp-storage-emulator`` on disk. Objects live at ``data_dir/.cloudstorage/<bucket>/<name>``.
``BigQueryEmulator(gcs_data_dir, project="test-project")``
    ``bqemulator`` through ``bq_launcher.py`` (offline DuckDB extensions + the test-only
    shims of ``bq_shims.py``). ``gs://bucket/path`` in load jobs reads
    ``gcs_data_dir/.cloudstorage/bucket/path``, i.e. the GCS emulator's files.
``GceMetadataEmulator(project)``
    ``fake_gce_metadata.py``: dummy OAuth tokens for clients that we cannot patch (a
    target started by ``meltano run``).
``EmulatorStack(base_dir)``
    The three together, with ``env()`` for subprocesses.

Where the emulator executables come from: the venv given by ``bin_dir`` or env
``TAP_LOOKER_EMULATORS_BIN`` (a venv's ``bin`` dir), else the ``bin`` dir of the running
interpreter (the project's dev venv, requirements/dev.txt).

Every server runs in its own process group (``start_new_session``) with
``PR_SET_PDEATHSIG`` so it dies with its parent even if pytest is killed; ``stop()``
SIGTERMs the group, then SIGKILLs it after a grace period.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .install_duckdb_extensions import default_home

if TYPE_CHECKING:
    from google.cloud import bigquery, storage  # type: ignore[attr-defined]

HARNESS_DIR = Path(__file__).resolve().parent
SITECUSTOMIZE_DIR = HARNESS_DIR / "sitecustomize"
BQ_LAUNCHER = HARNESS_DIR / "bq_launcher.py"
FAKE_GCE_METADATA = HARNESS_DIR / "fake_gce_metadata.py"
LOOPBACK = "127.0.0.1"
DEFAULT_PROJECT = "test-project"

# No proxy, ever, for loopback: urllib/requests honour HTTP(S)_PROXY.
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def emulators_bin_dir(bin_dir: str | os.PathLike[str] | None = None) -> Path:
    """The ``bin`` dir of the venv that holds the emulators."""
    if bin_dir is not None:
        return Path(bin_dir)
    env_dir = os.environ.get("TAP_LOOKER_EMULATORS_BIN")
    if env_dir:
        return Path(env_dir)
    return Path(sys.executable).parent


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET ``url`` without any proxy; return (status, body); status 0 when unreachable."""
    try:
        with _NO_PROXY_OPENER.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


class EmulatorStartError(RuntimeError):
    """A server did not become ready."""


_RUNNING: set[ManagedServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        server.stop()


class ManagedServer:
    """A server subprocess on a loopback port, ready-checked over HTTP."""

    name = "server"
    start_timeout = 60.0
    stop_timeout = 10.0

    def __init__(
        self, *, host: str = LOOPBACK, port: int | None = None, log_dir: Path | None = None
    ) -> None:
        self.host = host
        self._fixed_port = port
        self.port: int = port or 0
        self._log_dir = (
            Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix=f"{self.name}-logs-"))
        )
        self.log_path = self._log_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    # -- to implement ------------------------------------------------------------------
    def command(self) -> list[str]:
        raise NotImplementedError

    def process_env(self) -> dict[str, str]:
        return dict(os.environ)

    def ready_path(self) -> str:
        return "/"

    def is_ready_response(self, status: int, body: bytes) -> bool:
        return status == 200

    # -- public --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> ManagedServer:
        if self.is_running():
            return self
        attempts = 1 if self._fixed_port else 3
        for attempt in range(1, attempts + 1):
            self.port = self._fixed_port or free_port(self.host)
            try:
                self._spawn_and_wait()
            except EmulatorStartError:
                self.stop()
                if attempt == attempts:
                    raise
            else:
                return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        _RUNNING.discard(self)
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, self.stop_timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # the group may still hold grandchildren after the leader exited
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def __enter__(self) -> ManagedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------
    def _spawn_and_wait(self) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- {self.name} on {self.url}: {' '.join(self.command())}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.process_env(),
                cwd=self._log_dir,  # keep bqemulator away from any .bqemu.toml in the repo
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )
        _RUNNING.add(self)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                msg = (
                    f"{self.name} exited with {self._proc.returncode}; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
                raise EmulatorStartError(msg)
            status, body = http_get(self.url + self.ready_path(), timeout=1.0)
            if self.is_ready_response(status, body):
                return
            time.sleep(0.1)
        msg = (
            f"{self.name} not ready on {self.url} after {self.start_timeout}s; "
            f"log {self.log_path}:\n{self.log_tail()}"
        )
        raise EmulatorStartError(msg)


class GcsEmulator(ManagedServer):
    """``gcp-storage-emulator`` storing on disk under ``data_dir``."""

    name = "gcs-emulator"

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        project: str = DEFAULT_PROJECT,
        bin_dir: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.project = project
        self.bin_dir = emulators_bin_dir(bin_dir)
        kwargs.setdefault("log_dir", self.data_dir.parent / f"{self.data_dir.name}-logs")
        super().__init__(**kwargs)

    @property
    def objects_root(self) -> Path:
        """Local directory holding ``<bucket>/<object>`` files (BQEMU_GCS_LOCAL_ROOT)."""
        return self.data_dir / ".cloudstorage"

    def command(self) -> list[str]:
        return [
            str(self.bin_dir / "gcp-storage-emulator"),
            "--data-dir",
            str(self.data_dir),
            "start",
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]

    def ready_path(self) -> str:
        return f"/storage/v1/b?project={self.project}"

    def start(self) -> GcsEmulator:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        super().start()
        return self

    def env(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.url}

    def client(self) -> storage.Client:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage  # type: ignore[attr-defined]

        return storage.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )

    def create_bucket(self, name: str, location: str = "US") -> storage.Bucket:
        return self.client().create_bucket(name, location=location)

    def list_objects(self, bucket: str, prefix: str | None = None) -> list[str]:
        return sorted(b.name for b in self.client().list_blobs(bucket, prefix=prefix))


class BigQueryEmulator(ManagedServer):
    """``bqemulator`` (in-memory DuckDB) reading ``gs://`` URIs from ``gcs_data_dir``."""

    name = "bq-emulator"

    def __init__(
        self,
        gcs_data_dir: str | os.PathLike[str],
        project: str = DEFAULT_PROJECT,
        *,
        home: str | os.PathLike[str] | None = None,
        bin_dir: str | os.PathLike[str] | None = None,
        shims: str = "all",
        grpc_port: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.gcs_data_dir = Path(gcs_data_dir).resolve()
        self.project = project
        self.home = Path(home) if home else default_home()
        self.bin_dir = emulators_bin_dir(bin_dir)
        self.shims = shims
        self._fixed_grpc_port = grpc_port
        self.grpc_port = grpc_port or 0
        self._extra_env = dict(extra_env or {})
        kwargs.setdefault("log_dir", Path(tempfile.mkdtemp(prefix="bq-emulator-")))
        super().__init__(**kwargs)
        self.upload_dir = self._log_dir / "uploads"

    @property
    def grpc_endpoint(self) -> str:
        return f"{self.host}:{self.grpc_port}"

    def command(self) -> list[str]:
        return [
            str(self.bin_dir / "python"),
            str(BQ_LAUNCHER),
            "start",
            "--rest-host",
            self.host,
            "--rest-port",
            str(self.port),
            "--grpc-host",
            self.host,
            "--grpc-port",
            str(self.grpc_port),
            "--project",
            self.project,
            "--ephemeral",
        ]

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BQEMU_")}
        env.pop("PYTHONPATH", None)
        env.update(
            HOME=str(self.home),  # DuckDB extensions live in $HOME/.duckdb
            BQEMU_GCS_LOCAL_ROOT=str(self.gcs_data_dir / ".cloudstorage"),
            BQEMU_UPLOAD_STAGING_DIR=str(self.upload_dir),
            BQEMU_TRACING_ENABLED="false",
            BQEMU_LOG_LEVEL=os.environ.get("TAP_LOOKER_BQ_LOG_LEVEL", "info"),
            TAP_LOOKER_BQ_SHIMS=self.shims,
        )
        env.update(self._extra_env)
        return env

    def ready_path(self) -> str:
        return "/readyz"

    def start(self) -> BigQueryEmulator:
        self.home.mkdir(parents=True, exist_ok=True)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        (self.gcs_data_dir / ".cloudstorage").mkdir(parents=True, exist_ok=True)
        super().start()
        return self

    def _spawn_and_wait(self) -> None:
        if not self._fixed_grpc_port:
            self.grpc_port = free_port(self.host)
        super()._spawn_and_wait()

    def env(self) -> dict[str, str]:
        return {"BIGQUERY_EMULATOR_HOST": self.url}

    def client(self, project: str | None = None) -> bigquery.Client:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=project or self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.url),
        )

    def create_dataset(self, dataset: str, location: str = "US") -> bigquery.Dataset:
        from google.cloud import bigquery

        ds = bigquery.Dataset(f"{self.project}.{dataset}")
        ds.location = location
        return self.client().create_dataset(ds, exists_ok=True)

    def query(self, sql: str) -> list[dict[str, Any]]:
        return [dict(row.items()) for row in self.client().query(sql).result()]


class GceMetadataEmulator(ManagedServer):
    """Fake GCE metadata server handing out dummy tokens (see fake_gce_metadata.py)."""

    name = "gce-metadata"
    start_timeout = 20.0

    def __init__(
        self, project: str = DEFAULT_PROJECT, *, python: str | None = None, **kwargs: Any
    ) -> None:
        self.project = project
        self.python = python or sys.executable
        super().__init__(**kwargs)

    def command(self) -> list[str]:
        return [
            self.python,
            str(FAKE_GCE_METADATA),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--project",
            self.project,
        ]

    def is_ready_response(self, status: int, body: bytes) -> bool:
        return status == 200

    def env(self) -> dict[str, str]:
        hostport = f"{self.host}:{self.port}"
        return {"GCE_METADATA_HOST": hostport, "GCE_METADATA_IP": hostport}


# Variables that would make a Google client talk to real GCP or find real credentials.
REAL_GCP_ENV_VARS = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
    "CLOUDSDK_CORE_PROJECT",
    "GCE_METADATA_HOST",
    "GCE_METADATA_ROOT",
    "GCE_METADATA_IP",
    "NO_GCE_CHECK",
    "API_ENDPOINT_OVERRIDE",
    "GOOGLE_API_USE_CLIENT_CERTIFICATE",
)


class EmulatorStack:
    """GCS + BigQuery + fake metadata emulators sharing one base directory."""

    def __init__(
        self,
        base_dir: str | os.PathLike[str] | None = None,
        project: str = DEFAULT_PROJECT,
        *,
        bin_dir: str | os.PathLike[str] | None = None,
        home: str | os.PathLike[str] | None = None,
        bq_shims: str = "all",
    ) -> None:
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="emulator-stack-")).resolve()
        self.project = project
        self.gcs = GcsEmulator(
            self.base_dir / "gcs", project=project, bin_dir=bin_dir, log_dir=self.base_dir / "logs"
        )
        self.bigquery = BigQueryEmulator(
            self.base_dir / "gcs",
            project,
            home=home,
            bin_dir=bin_dir,
            shims=bq_shims,
            log_dir=self.base_dir / "bq",
        )
        self.metadata = GceMetadataEmulator(project, log_dir=self.base_dir / "logs")
        self.gcloud_config_dir = self.base_dir / "gcloud-config-empty"

    def start(self) -> EmulatorStack:
        self.gcloud_config_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.gcs.start()
            self.metadata.start()
            self.bigquery.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in (self.bigquery, self.metadata, self.gcs):
            server.stop()

    def __enter__(self) -> EmulatorStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Variables a subprocess (a target, or ``meltano run``) needs to use the emulators.

        Overlay them on a full environment with :meth:`subprocess_env`, which also removes
        variables that point at real GCP (``REAL_GCP_ENV_VARS``).
        """
        return emulator_env(
            self.gcs,
            self.bigquery,
            self.metadata,
            project=self.project,
            gcloud_config_dir=self.gcloud_config_dir,
        )

    def subprocess_env(self, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
        return subprocess_env(self.env(), base=base, **extra)

    def new_name(self, prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:10]}"


def emulator_env(
    gcs: GcsEmulator,
    bq: BigQueryEmulator,
    metadata: GceMetadataEmulator | None = None,
    *,
    project: str = DEFAULT_PROJECT,
    gcloud_config_dir: str | os.PathLike[str] | None = None,
) -> dict[str, str]:
    """The environment variables a client subprocess needs to reach the emulators."""
    env = {
        **gcs.env(),  # STORAGE_EMULATOR_HOST=http://127.0.0.1:P (with scheme)
        **bq.env(),  # BIGQUERY_EMULATOR_HOST=http://127.0.0.1:Q (with scheme)
        "GOOGLE_CLOUD_PROJECT": project,
        # direct subprocesses: sitecustomize makes google.auth.default() anonymous
        "TAP_LOOKER_TEST_ANON_GCP": "1",
        "PYTHONPATH": str(SITECUSTOMIZE_DIR),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if metadata is not None:
        # via `meltano run` (PYTHONPATH is dropped by Meltano): fake metadata server
        env.update(metadata.env())
    else:
        env["NO_GCE_CHECK"] = "true"  # lowercase! google-auth ignores "True"
    if gcloud_config_dir is not None:
        env["CLOUDSDK_CONFIG"] = str(gcloud_config_dir)  # no real gcloud ADC file
    return env


def subprocess_env(
    overlay: Mapping[str, str],
    *,
    base: Mapping[str, str] | None = None,
    **extra: str,
) -> dict[str, str]:
    """``base`` (default ``os.environ``) minus real-GCP variables, plus ``overlay``.

    ``PYTHONPATH`` from ``overlay`` is prepended to any existing one.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if k not in REAL_GCP_ENV_VARS
    }
    previous_pythonpath = env.get("PYTHONPATH")
    env.update(overlay)
    if "PYTHONPATH" in overlay and previous_pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([overlay["PYTHONPATH"], previous_pythonpath])
    env.update(extra)
    return env


@contextlib.contextmanager
def emulator_stack(
    base_dir: str | os.PathLike[str] | None = None, **kwargs: Any
) -> Iterator[EmulatorStack]:
    with EmulatorStack(base_dir, **kwargs) as stack:
        yield stack
