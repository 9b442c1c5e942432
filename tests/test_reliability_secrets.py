"""No secret in any log line or error, with everything at debug level.

Secrets: the Looker client secret, every Looker access token the simulator issued during
the runs (recorded by wrapping its login), and GCP service-account credentials. For GCP
the target authenticates for real with ``credentials_json`` (``TARGET_BIGQUERY_CREDENTIALS_JSON``,
a setting Meltano marks sensitive): a freshly generated RSA key whose ``token_uri`` is a
local OAuth endpoint handing out a recognisable access token. The emulators ignore the
bearer token, but the test checks the key was used (the endpoint was called), so the path
through google-auth is the production one.

Runs: a successful pipeline with a token expiry (two Looker logins); the same with the
wrong Looker secret; a target failure (missing bucket) with the service account.
"""

from __future__ import annotations

import base64
import json
import threading
import typing as t
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.pipeline import assert_equals_truth, bigquery_snapshot, new_destination, pipeline_env
from tests.reliability_helpers import IsolatedMeltano

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.harness import EmulatorStack

WRONG_SECRET = "wrong-looker-secret-" + uuid.uuid4().hex[:12]


class FakeOAuth:
    """A token endpoint (``token_uri``) for a service account; counts the exchanges."""

    def __init__(self) -> None:
        self.access_token = "ya29.fake-gcp-access-token-" + uuid.uuid4().hex
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.calls += 1
                body = json.dumps(
                    {"access_token": outer.access_token, "expires_in": 3600, "token_type": "Bearer"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: t.Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"


class Secrets(t.NamedTuple):
    outputs: dict[str, str]
    needles: dict[str, str]
    looker_tokens: list[str]
    oauth_calls: int
    run_ok: bool
    wrong_secret_rc: int
    missing_bucket_rc: int


@pytest.fixture(scope="module")
def secrets(
    emulator_stack: EmulatorStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Secrets]:
    stack = emulator_stack
    project = IsolatedMeltano.create(tmp_path_factory.mktemp("secrets"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    oauth = FakeOAuth()
    service_account = {
        "type": "service_account",
        "project_id": stack.project,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": f"loader@{stack.project}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": oauth.url,
    }
    key_lines = [line for line in pem.splitlines() if not line.startswith("-----")]
    needles = {
        "looker client secret": CLIENT_SECRET,
        "wrong looker secret": WRONG_SECRET,
        "gcp access token": oauth.access_token,
        "gcp private key id": service_account["private_key_id"],
        "private key (start)": key_lines[0],
        "private key (middle)": key_lines[len(key_lines) // 2],
        "private key (end)": key_lines[-2],
        "private key (escaped)": json.dumps(pem)[1:60],
    }

    sim = LookerSimulator(rows=2_000, seed=901, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    tokens: list[str] = []
    login = sim.auth.login

    def recording_login(*args: t.Any, **kwargs: t.Any) -> dict[str, t.Any] | None:
        issued = login(*args, **kwargs)
        if issued:
            tokens.append(issued["access_token"])
        return issued

    sim.auth.login = recording_login  # type: ignore[method-assign]
    sim.start()
    try:
        dataset, bucket = new_destination(stack)
        env = {
            **pipeline_env(sim, stack, dataset, bucket),
            "TARGET_BIGQUERY_CREDENTIALS_JSON": json.dumps(service_account),
            "LOGLEVEL": "DEBUG",  # singer-sdk plugins (also set by --log-level=debug)
        }
        sim.inject("expire_token", match="query", skip=1)
        outputs = {}
        ok = project.run("--log-level=debug", "run", "looker-to-bigquery",
                         environment="local-gcp", env=env, check=False)  # fmt: skip
        outputs["successful run"] = ok.stdout + ok.stderr
        run_ok = ok.returncode == 0
        if run_ok:
            assert_equals_truth(bigquery_snapshot(sim, stack, dataset, bucket))

        wrong = project.run(
            "--log-level=debug", "run", "looker-to-bigquery", environment="local-gcp",
            env={**env, "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": WRONG_SECRET}, check=False,
        )  # fmt: skip
        outputs["wrong Looker secret"] = wrong.stdout + wrong.stderr

        missing = project.run(
            "--log-level=debug", "run", "looker-to-bigquery", environment="local-gcp",
            env={**env, "TARGET_BIGQUERY_BUCKET": "no-such-bucket-" + uuid.uuid4().hex[:8]},
            check=False,
        )  # fmt: skip
        outputs["target failure"] = missing.stdout + missing.stderr
        yield Secrets(
            outputs=outputs,
            needles=needles,
            looker_tokens=list(tokens),
            oauth_calls=oauth.calls,
            run_ok=run_ok,
            wrong_secret_rc=wrong.returncode,
            missing_bucket_rc=missing.returncode,
        )
    finally:
        sim.stop()
        oauth.server.shutdown()


def test_the_runs_did_what_the_leak_check_needs(secrets: Secrets) -> None:
    assert secrets.run_ok, secrets.outputs["successful run"][-5000:]
    assert secrets.wrong_secret_rc != 0
    assert secrets.missing_bucket_rc != 0
    assert secrets.oauth_calls >= 1, "the target must have used the service account key"
    assert len(secrets.looker_tokens) >= 3, "discovery, sync, and a new login after expiry"
    assert "[debug" in secrets.outputs["successful run"], "meltano ran at debug level"


@pytest.mark.parametrize("run", ["successful run", "wrong Looker secret", "target failure"])
def test_no_secret_in_any_output_line(secrets: Secrets, run: str) -> None:
    output = secrets.outputs[run]
    assert output.strip()
    needles = dict(secrets.needles)
    needles.update({f"looker token {i}": tok for i, tok in enumerate(secrets.looker_tokens)})
    leaks = {name: _line_with(output, value) for name, value in needles.items() if value in output}
    assert not leaks, f"secrets in the {run} output: {leaks}"


def _line_with(output: str, value: str) -> str:
    return next(line for line in output.splitlines() if value in line)[:300]


ECHO_SECRET = 'e2e+secret/"echo"&' + uuid.uuid4().hex[:12]  # changed by every encoding


@pytest.mark.parametrize(
    ("kind", "count", "message"),
    [
        # The re-login's token is quoted too: two 401s on the same query.
        ("401", 2, "token {token} is invalid ({authorization})"),
        ("403", 1, "client {client_secret} / {basic_auth} / {login_form} is not allowed"),
        ("sql_error", 1, "x" * 290 + "{client_secret_json} {token}"),
    ],
)
def test_a_looker_echoing_the_secret_or_token_leaks_nothing_through_meltano(
    tmp_path_factory: pytest.TempPathFactory, kind: str, count: int, message: str
) -> None:
    """A hostile or odd server (looker-simulator's echo placeholders, not Looker behaviour)
    quotes the client secret and the access tokens in 401/403/looker_error messages: nothing
    meltano prints at debug level shows them, in any encoding, nor any 12 characters of them."""
    base = tmp_path_factory.mktemp("echo")
    project = IsolatedMeltano.create(base)
    sim = LookerSimulator(rows=50, seed=907, client_id=CLIENT_ID, client_secret=ECHO_SECRET)
    tokens: list[str] = []
    login = sim.auth.login

    def recording_login(*args: t.Any, **kwargs: t.Any) -> dict[str, t.Any] | None:
        issued = login(*args, **kwargs)
        if issued:
            tokens.append(issued["access_token"])
        return issued

    sim.auth.login = recording_login  # type: ignore[method-assign]
    sim.start()
    try:
        sim.inject(kind, count=count, match="query", message=message)
        env = {
            "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
            "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
            "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": ECHO_SECRET,
            "TAP_LOOKER_ACTIVITY_BACKOFF_FACTOR": "0.01",
            "TARGET_DUCKDB_FILEPATH": str(base / "warehouse.duckdb"),
            "LOGLEVEL": "DEBUG",
        }
        proc = project.run("--log-level=debug", "run", "tap-looker-activity", "target-duckdb",
                           environment="dev", env=env, check=False)  # fmt: skip
    finally:
        sim.stop()
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert tokens, "the tap logged in"
    errors = [ln for ln in output.splitlines() if "tap-looker-activity: error: " in ln]
    assert len(errors) == 1, output[-5000:]
    assert "[redacted" in errors[0], errors[0]  # the 300-character cut may halve it
    pair = base64.b64encode(f"{CLIENT_ID}:{ECHO_SECRET}".encode()).decode().rstrip("=")
    needles = {
        "secret": ECHO_SECRET,
        "secret, percent-encoded": urllib.parse.quote(ECHO_SECRET, safe=""),
        "secret, form-encoded": urllib.parse.quote_plus(ECHO_SECRET),
        "secret, JSON-escaped": json.dumps(ECHO_SECRET)[1:-1],
        "secret, first 12 characters": ECHO_SECRET[:12],
        "id:secret, base64": pair,
    }
    for i, token in enumerate(tokens):
        needles.update({f"token {i}": token, f"token {i}, first 12 characters": token[:12]})
    leaks = {name: _line_with(output, value) for name, value in needles.items() if value in output}
    assert not leaks, leaks
