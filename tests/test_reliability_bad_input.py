"""Bad input: one clear line naming the problem, a non-zero exit, nothing a rerun cannot fix.

Tap-level cases run ``tap-looker-activity`` directly (Meltano adds nothing but a prefix to
the same line; the Meltano cases below show it arrives there). Meltano cases run
``meltano run`` and look for the line in Meltano's output, and check that no bookmark was
stored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from looker_simulator import LookerSimulator

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.harness.emulators import free_port
from tests.pipeline import assert_equals_truth, bigquery_snapshot, new_destination, pipeline_env
from tests.reliability_helpers import IsolatedMeltano, loaded_rows, one_line

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.harness import EmulatorStack

TAP = str(Path(sys.executable).with_name("tap-looker-activity"))
PREFIX = "tap-looker-activity: error: "


class SignInPage(BaseHTTPRequestHandler):
    """Not Looker: a corporate SSO page answering 200 text/html to everything."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>SSO</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: t.Any) -> None:
        pass


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    with LookerSimulator(
        rows=300, seed=801, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SignInPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _config(sim: LookerSimulator, **overrides: t.Any) -> dict[str, t.Any]:
    config = {
        "base_url": sim.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "max_retries": 1,
        "page_size": 100,
    }
    config.update(overrides)
    return config


# (case id, config overrides or a callable(sim, html_url), state file text, expected fragments)
Case = tuple[str, "Callable[[LookerSimulator, str], dict[str, t.Any]]", str | None, tuple[str, ...]]
TAP_CASES: list[Case] = [
    ("wrong-credentials", lambda s, _h: _config(s, client_secret="wrong"), None,  # noqa: S106
     ("Looker rejected the API credentials", "check client_id and client_secret")),
    ("unreachable-host", lambda s, _h: _config(s, base_url=f"http://127.0.0.1:{free_port()}"),
     None, ("could not connect", "/api/4.0/login")),
    ("not-looker-html", lambda s, h: _config(s, base_url=h), None,
     ("does not look like a Looker API", "without /api/4.0")),
    ("invalid-start-date", lambda s, _h: _config(s, start_date="31/01/2024"), None,
     ("start_date '31/01/2024' is not an ISO 8601",)),
    ("page-size-zero", lambda s, _h: _config(s, page_size=0), None,
     ("page_size", "minimum of 1")),
    ("unknown-time-zone", lambda s, _h: _config(s, query_timezone="Mars/Olympus"), None,
     ("query_timezone 'Mars/Olympus' is not an IANA time zone",)),
    ("state-not-json", lambda s, _h: _config(s), "{not json",
     ("state file", "is not valid JSON")),
    ("state-not-an-object", lambda s, _h: _config(s), "[1, 2]",
     ("state file", "must hold a JSON object")),
    ("state-bookmark-not-a-time", lambda s, _h: _config(s),
     json.dumps({"bookmarks": {"content_usage": {"replication_key": "last_accessed_time",
                                                 "replication_key_value": "yesterday"}}}),
     ("bookmark of stream content_usage", '"yesterday"', "not an RFC 3339 timestamp")),
]  # fmt: skip


# Looker refusing or unreachable exits 1; bad settings (a base_url that is not a Looker
# API included) and bad input files exit 2.
LOOKER_FAILURES = {"wrong-credentials", "unreachable-host"}


@pytest.mark.parametrize(
    ("config_fn", "state_text", "fragments", "exit_code"),
    [
        pytest.param(fn, st, fr, 1 if name in LOOKER_FAILURES else 2, id=name)
        for name, fn, st, fr in TAP_CASES
    ],
)
def test_tap_bad_input_is_one_line(
    sim: LookerSimulator,
    html_server: str,
    tmp_path: Path,
    config_fn: Callable[[LookerSimulator, str], dict[str, t.Any]],
    state_text: str | None,
    fragments: tuple[str, ...],
    exit_code: int,
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_fn(sim, html_server)))
    args = [TAP, "--config", str(config)]
    if state_text is not None:
        (tmp_path / "state.json").write_text(state_text)
        args += ["--state", str(tmp_path / "state.json")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == exit_code, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith(PREFIX)]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert all(f in errors[0] for f in fragments), errors[0]
    assert CLIENT_SECRET not in proc.stderr


@pytest.mark.parametrize(
    ("fault", "fragments"),
    [
        pytest.param("remove_explore", ("explore system__activity/content_usage", "404"),
                     id="unknown-explore"),
        pytest.param("malformed", ("invalid JSON in the answer", "failed after 1 retries"),
                     id="persistently-malformed-json"),
    ],
)  # fmt: skip
def test_tap_bad_server_answers_are_one_line(
    tmp_path: Path, fault: str, fragments: tuple[str, ...]
) -> None:
    with LookerSimulator(
        rows=50, seed=802, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as sim:
        if fault == "remove_explore":
            sim.remove_explore("content_usage")
        else:
            sim.inject(fault, match="query", count=100)
        config = tmp_path / "config.json"
        config.write_text(json.dumps(_config(sim)))
        proc = subprocess.run(
            [TAP, "--config", str(config)], capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    line = one_line(proc.stderr, PREFIX, *fragments)
    assert line.startswith(PREFIX)


# -- through meltano run ---------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> IsolatedMeltano:
    return IsolatedMeltano.create(tmp_path)


def _meltano_fails(
    project: IsolatedMeltano, job: str, environment: str, env: dict[str, str], *needles: str
) -> str:
    proc = project.run("run", job, environment=environment, env=env, check=False, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    line = one_line(output, *needles)
    assert project.stored_state() is None, "a failed run must not store a bookmark"
    assert CLIENT_SECRET not in output
    return line


def test_meltano_missing_looker_settings(
    project: IsolatedMeltano, emulator_stack: EmulatorStack
) -> None:
    # prod reads LOOKER_BASE_URL etc. from the environment: here, none are set.
    env = emulator_stack.subprocess_env(
        GCP_PROJECT=emulator_stack.project, BQ_DATASET="d", GCS_STAGING_BUCKET="b",
        BQ_LOCATION="US",
    )  # fmt: skip
    for name in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET"):
        for prefix in ("LOOKER_", "TAP_LOOKER_ACTIVITY_", "LOOKERSDK_"):
            env.pop(prefix + name, None)
    _meltano_fails(
        project, "looker-to-bigquery", "prod", env,
        PREFIX + "missing Looker setting(s): base_url, client_id, client_secret",
    )  # fmt: skip


def test_meltano_wrong_credentials_and_bad_start_date(
    project: IsolatedMeltano, sim: LookerSimulator, emulator_stack: EmulatorStack
) -> None:
    dataset, bucket = new_destination(emulator_stack)
    env = pipeline_env(sim, emulator_stack, dataset, bucket)
    env["TAP_LOOKER_ACTIVITY_CLIENT_SECRET"] = "wrong-secret"  # noqa: S105
    line = _meltano_fails(
        project, "looker-to-bigquery", "local-gcp", env, PREFIX + "Looker rejected"
    )
    assert "wrong-secret" not in line
    # Meltano turns natural-language dates ("yesterday") into timestamps; this it cannot.
    env = pipeline_env(sim, emulator_stack, dataset, bucket)
    env["TAP_LOOKER_ACTIVITY_START_DATE"] = "banana"
    _meltano_fails(
        project, "looker-to-bigquery", "local-gcp", env,
        PREFIX + "start_date 'banana' is not an ISO 8601 date",
    )  # fmt: skip


def _jsonl_env(sim: LookerSimulator, out: Path, **settings: str) -> dict[str, str]:
    return {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TARGET_JSONL_DESTINATION_PATH": str(out),
        **{f"TAP_LOOKER_ACTIVITY_{name}": value for name, value in settings.items()},
    }


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        # Meltano's own `kind: boolean` read this as false: the tap's queries in history.
        ("EXCLUDE_OWN_ACTIVITY", "ture", "exclude_own_activity must be true or false, got 'ture'"),
        # ... and this as false: plain emails and names in the warehouse.
        ("HASH_PII", "ture", "hash_pii must be true or false, got 'ture'"),
        # Meltano's own `kind: integer` failed with int()'s traceback, naming no setting.
        ("LOOKBACK_MINUTES", "ten", "lookback_minutes must be an integer, got 'ten'"),
        ("PAGE_SIZE", "lots", "page_size must be an integer, got 'lots'"),
    ],
    ids=["exclude-own-activity-ture", "hash-pii-ture", "lookback-ten", "page-size-lots"],
)  # fmt: skip
def test_meltano_bad_boolean_or_integer_setting_is_one_line_naming_it(
    project: IsolatedMeltano, sim: LookerSimulator, tmp_path: Path, setting: str, value: str,
    needle: str,
) -> None:  # fmt: skip
    """Boolean and integer settings are `kind: string` in meltano.yml: the text reaches the
    tap, which refuses it in one line (exit 2) instead of Meltano guessing or crashing."""
    env = _jsonl_env(sim, tmp_path, **{setting: value})
    proc = project.run(
        "run", "tap-looker-activity", "target-jsonl", environment="dev", env=env, check=False,
        timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    one_line(output, PREFIX + "invalid config: ", needle)
    assert "Traceback" not in output, output[-4000:]
    assert project.stored_state() is None
    assert not list(tmp_path.glob("*.jsonl")), "nothing is extracted with a bad setting"


def test_meltano_passes_a_non_iso_start_date_to_the_tap_which_refuses_it(
    project: IsolatedMeltano, sim: LookerSimulator, tmp_path: Path
) -> None:
    """`03/04/2024` is ambiguous (3 April or 4 March): Meltano's `kind: date_iso8601` made it
    4 March and the run loaded from there. As `kind: string` it reaches the tap unchanged."""
    env = _jsonl_env(sim, tmp_path, START_DATE="03/04/2024")
    proc = project.run(
        "run", "tap-looker-activity", "target-jsonl", environment="dev", env=env, check=False,
        timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    one_line(output, PREFIX, "start_date '03/04/2024' is not an ISO 8601 date or timestamp")
    assert "Traceback" not in output, output[-4000:]
    assert not list(tmp_path.glob("*.jsonl")), "nothing is extracted with a bad start_date"


def test_meltano_boolean_and_integer_settings_as_text_are_taken(
    project: IsolatedMeltano, tmp_path: Path
) -> None:
    """The same settings spelled right work; " Yes " (Meltano's `kind: boolean` read it as
    false) really switches hashing on, and it cannot be bypassed: neither by a configured
    explore over the same users nor by a user's own stream map copying the email."""
    explores = [{"name": "audit_users", "model": "system__activity", "explore": "user",
                 "primary_keys": ["id"]}]  # fmt: skip
    with LookerSimulator(
        rows=50, seed=803, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        explores={"user": 20},
    ) as sim:  # fmt: skip
        env = _jsonl_env(
            sim, tmp_path, EXCLUDE_OWN_ACTIVITY="False", HASH_PII=" Yes ", PII_SALT="salt",
            LOOKBACK_MINUTES="10", PAGE_SIZE="7", MAX_RETRIES="2", TIMEOUT="30",
            EXPLORES=json.dumps(explores),
            STREAM_MAPS=json.dumps({"user": {"email_copy": "email"}}),
        )  # fmt: skip
        env["TAP_LOOKER_ACTIVITY__SELECT"] = json.dumps(
            ["content_usage.*", "user.*", "audit_users.*"]
        )
        proc = project.run(
            "run", "tap-looker-activity", "target-jsonl", environment="dev", env=env,
            check=False, timeout=300,
        )  # fmt: skip
        users_truth = sim.truth("user")
    emails = {row["email"] for row in users_truth if row.get("email")}
    names = {
        row[k] for row in users_truth for k in ("name", "first_name", "last_name") if row.get(k)
    }
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    content = (tmp_path / "content_usage.jsonl").read_text().splitlines()
    assert len(content) == 50
    assert emails, "the simulator's users have emails"
    for stream, column in (("user", "email"), ("user", "email_copy"), ("audit_users", "email")):
        rows = [
            json.loads(line) for line in (tmp_path / f"{stream}.jsonl").read_text().splitlines()
        ]
        written = {row[column] for row in rows if row.get(column)}
        assert written, f"no {stream}.{column} was written"
        assert not written & emails, f"hash_pii=' Yes ' left plain emails in {stream}.{column}"
        assert all(len(email) == 64 for email in written), written
    files = "".join(path.read_text() for path in tmp_path.glob("*.jsonl"))
    leaks = [value for value in emails | names if value in files or value in output]
    assert not leaks, f"plain personal data in the output or the logs: {leaks[:3]}"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("not json", "explores is not valid JSON (Expecting value: line 1 column 1"),
        ('[{"name": "x",', "explores is not valid JSON (Expecting property name"),
        ('{"name": "x"}', "invalid config: explores: {'name': 'x'} is not of type 'array'"),
        ('[{"name": "x"}]', "invalid config: explores: 'explore' is a required property"),
    ],
    ids=["not-json", "truncated", "object", "incomplete"],
)
def test_meltano_explores_env_var_that_is_not_a_list_of_explores(
    project: IsolatedMeltano, sim: LookerSimulator, tmp_path: Path, value: str, needle: str
) -> None:
    """TAP_LOOKER_ACTIVITY_EXPLORES is a `kind: string` setting: Meltano hands the text to
    the tap, which parses it (a `kind: array` setting failed inside Meltano, a traceback)."""
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_EXPLORES": value,
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path),
    }
    proc = project.run(
        "run", "tap-looker-activity", "target-jsonl", environment="dev", env=env, check=False,
        timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    one_line(output, PREFIX + needle)
    assert "Traceback" not in output, output[-4000:]
    assert project.stored_state() is None


def test_meltano_explores_env_var_as_json_text_adds_a_stream(
    project: IsolatedMeltano, tmp_path: Path
) -> None:
    explores = [
        {
            "name": "my_history",
            "model": "system__activity",
            "explore": "history",
            "fields": ["id", "created_time"],
            "primary_keys": ["id"],
            "replication_key": "created_time",
        }
    ]
    with LookerSimulator(
        rows=100, seed=802, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        explores={"history": 50},
    ) as sim:  # fmt: skip
        proc = _run_with_explores(project, sim, tmp_path, explores)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    rows = [json.loads(line) for line in (tmp_path / "my_history.jsonl").read_text().splitlines()]
    assert rows, "the configured stream was not extracted"
    assert {tuple(row) for row in rows} == {("id", "created_time")}


def _run_with_explores(
    project: IsolatedMeltano, sim: LookerSimulator, out: Path, explores: list[dict[str, t.Any]]
) -> subprocess.CompletedProcess[str]:
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TAP_LOOKER_ACTIVITY_EXPLORES": json.dumps(explores),
        "TARGET_JSONL_DESTINATION_PATH": str(out),
        "TAP_LOOKER_ACTIVITY__SELECT": json.dumps(["my_history.*"]),
    }
    return project.run(
        "run", "tap-looker-activity", "target-jsonl", environment="dev", env=env, check=False,
        timeout=300,
    )  # fmt: skip


def test_meltano_unwritable_duckdb_path(
    project: IsolatedMeltano, sim: LookerSimulator, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    env = {
        "TAP_LOOKER_ACTIVITY_BASE_URL": sim.base_url,
        "TAP_LOOKER_ACTIVITY_CLIENT_ID": CLIENT_ID,
        "TAP_LOOKER_ACTIVITY_CLIENT_SECRET": CLIENT_SECRET,
        "TARGET_DUCKDB_FILEPATH": str(not_a_dir / "warehouse.duckdb"),
    }
    _meltano_fails(
        project, "looker-to-duckdb", "dev", env,
        "target-duckdb", "Cannot open file", str(not_a_dir / "warehouse.duckdb"),
    )  # fmt: skip


def test_meltano_missing_bucket_then_rerun_repairs(
    project: IsolatedMeltano, sim: LookerSimulator, emulator_stack: EmulatorStack
) -> None:
    stack = emulator_stack
    dataset, _bucket = new_destination(stack)
    bucket = stack.new_name("no-such-bucket").replace("_", "-")
    env = pipeline_env(sim, stack, dataset, bucket)
    line = _meltano_fails(
        project, "looker-to-bigquery", "local-gcp", env,
        "singer-state-gate: error: target target-bigquery exited 1", "NotFound", bucket,
    )  # fmt: skip
    assert "bookmark is not advanced" in line
    assert loaded_rows(stack, dataset) == {}

    stack.gcs.create_bucket(bucket, location="US")
    project.run("run", "looker-to-bigquery", environment="local-gcp", env=env)
    assert_equals_truth(bigquery_snapshot(sim, stack, dataset, bucket))
