"""Hostile input, by class: the tap either emits correct data or stops with one line.

Classes (docs/reliability.md): input files (config, catalog, state), the explores setting,
values a server may send, the transport (TLS, a trickling server, secrets in error bodies),
and signals. Every case runs the real tap executable.
"""

from __future__ import annotations

import http.server
import json
import signal
import ssl
import subprocess
import threading
import time
import typing as t
import urllib.parse

import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET, expected_by_id, tap_config
from tests.singer_run import TAP_EXECUTABLE, TapRun, run_tap

if t.TYPE_CHECKING:
    from pathlib import Path

ONE_LINE_PREFIX = "tap-looker-activity: error: "


def assert_one_line_error(run: TapRun, *fragments: str) -> str:
    assert run.returncode != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert CLIENT_SECRET not in run.stderr + run.stdout
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(ONE_LINE_PREFIX), last
    for fragment in fragments:
        assert fragment in last, last
    return last


def run_with_files(tmp_path: Path, *args: str, **files: str) -> TapRun:
    """The tap with raw files (``config``, ``catalog``, ``state``) written as given."""
    cmd = [str(TAP_EXECUTABLE)]
    for name, text in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        cmd += [f"--{name}", str(path)]
    proc = subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    return TapRun(proc.returncode, proc.stdout, proc.stderr)


# --- input files ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", '"a string"'])
@pytest.mark.parametrize("which", ["config", "catalog", "state"])
def test_input_files_that_are_not_json_objects(
    make_simulator, tmp_path: Path, which: str, text: str
) -> None:
    sim = make_simulator(rows=5)
    files = {"config": json.dumps(tap_config(sim)), which: text}
    if which == "state" and text == "":
        # An empty state file is an empty state: the run works.
        assert run_with_files(tmp_path, **files).returncode == 0
        return
    run = run_with_files(tmp_path, **files)
    assert_one_line_error(run, f"{which} file", str(tmp_path / f"{which}.json"))


def _state(value: object, key: str = "last_accessed_time") -> dict[str, t.Any]:
    return {
        "bookmarks": {"content_usage": {"replication_key": key, "replication_key_value": value}}
    }


@pytest.mark.parametrize(
    "value",
    ["2024-01-31T10:00:00Z", "2024-01-31T15:00:00+05:00", "2024-01-31T10:00:00.000000+00:00"],
)
def test_bookmarks_written_another_valid_way_are_normalised(make_simulator, value: str) -> None:
    sim = make_simulator(rows=300, seed=3)
    run = run_tap(tap_config(sim), state=_state(value))

    first = sim.stats()["queries"][0]["body"]["filters"]
    assert first == {"content_usage.last_accessed_time": "after 2024/01/31 10:00:00"}
    assert run.final_state["bookmarks"]["content_usage"]["replication_key_value"]


@pytest.mark.parametrize("value", [12345, True, ["2024-01-31"], "yesterday", {"a": 1}])
def test_bookmarks_that_are_not_timestamps(make_simulator, value: object) -> None:
    sim = make_simulator(rows=5)
    run = run_tap(tap_config(sim), state=_state(value), check=False)
    assert_one_line_error(run, "bookmark of stream content_usage", "not an RFC 3339 timestamp")


def test_a_bookmark_of_another_replication_key(make_simulator) -> None:
    sim = make_simulator(rows=5)
    state = _state("2024-01-31T10:00:00+00:00", key="content_usage.id")
    run = run_tap(tap_config(sim), state=state, check=False)
    assert_one_line_error(run, "content_usage", "meltano state clear")


def test_meltano_wrapped_state_is_unwrapped(make_simulator) -> None:
    sim = make_simulator(rows=300, seed=4)
    wrapped = {"singer_state": _state("2024-01-20T00:00:00+00:00")}
    run_tap(tap_config(sim), state=wrapped)

    first = sim.stats()["queries"][0]["body"]["filters"]
    assert first == {"content_usage.last_accessed_time": "after 2024/01/20 00:00:00"}


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"timeout": 10**20}, "timeout"),
        ({"start_date": "0001-01-01T00:00:00Z"}, "before 1970"),
        ({"page_size": "many"}, "page_size"),
        ({"lookback_minutes": -5}, "lookback_minutes"),
        ({"verify_ssl": "banana"}, "verify_ssl must be true or false"),
    ],
)
def test_out_of_range_settings(make_simulator, override: dict, fragment: str) -> None:
    sim = make_simulator(rows=5)
    run = run_tap(tap_config(sim, **override), check=False)
    assert_one_line_error(run, fragment)


def test_a_base_url_with_the_api_path(make_simulator) -> None:
    sim = make_simulator(rows=5)
    run = run_tap(tap_config(sim, base_url=f"{sim.base_url}/api/4.0"), check=False)
    assert_one_line_error(run, "base_url must be the Looker host without the API path")


# --- the explores setting ---------------------------------------------------------------------

ORDERS = {
    "name": "orders",
    "model": "thelook",
    "explore": "order_items",
    "primary_keys": ["id"],
    "replication_key": "created_time",
}


@pytest.mark.parametrize(
    ("entries", "fragments"),
    [
        ([{**ORDERS, "replication_key": "status"}], ["replication_key status", "string"]),
        ([{**ORDERS, "replication_key": "sale_price"}], ["replication_key sale_price"]),
        ([{**ORDERS, "replication_key": "created_date"}], ["replication_key created_date"]),
        (
            [{**ORDERS, "primary_keys": [], "surrogate_key_fields": ["id", "stauts"]}],
            ["stauts"],
        ),
        ([ORDERS, {**ORDERS, "name": "ORDERS"}], ["ORDERS", "ignoring case"]),
        ([{**ORDERS, "name": "History"}], ["History", "already exists"]),
        ([{**ORDERS, "fields": "status"}], ["fields"]),
        ([{**ORDERS, "replication_key": 5}], ["replication_key"]),
    ],
)
def test_unusable_explores_settings(make_simulator, entries: list, fragments: list[str]) -> None:
    sim = make_simulator(rows=5, explores={"order_items": 20})
    run = run_tap(tap_config(sim, explores=entries), check=False)
    assert_one_line_error(run, *fragments)


# --- what a server may send -------------------------------------------------------------------

DIMENSIONS = [
    {"name": "content_usage.id", "type": "number", "view": "content_usage"},
    {"name": "content_usage.content_id", "type": "string", "view": "content_usage"},
    {"name": "content_usage.api_count", "type": "number", "view": "content_usage"},
    {"name": "content_usage.last_accessed_time", "type": "date_time", "view": "content_usage"},
]


class FakeLooker(http.server.ThreadingHTTPServer):
    """Looker's login and metadata, and one crafted query answer."""

    rows: object = ()
    error_body: bytes = b""
    error_status = 0
    trickle_seconds = 0.0
    # GET /dashboards/search: the page for these query parameters; each call is recorded.
    dashboards: t.Callable[[dict[str, str]], object] | None = None
    dashboard_calls: list[dict[str, str]]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeLooker

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.trickle_seconds and "/queries/" in self.path:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.server.trickle_seconds)
            return
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.endswith("/login"):
            token = {"access_token": "fake-token-1234", "token_type": "Bearer", "expires_in": 3600}
            self._send(200, json.dumps(token).encode())
        elif self.server.error_status:
            self._send(self.server.error_status, self.server.error_body)
        elif "${content_usage.id}" in (json.loads(body).get("filter_expression") or ""):
            self._send(200, b"[]")  # the page after the crafted one (strictly after its last row)
        else:
            self._send(200, json.dumps(self.server.rows).encode())

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path.endswith("/dashboards/search") and self.server.dashboards:
            params = dict(urllib.parse.parse_qsl(url.query))
            self.server.dashboard_calls.append(params)
            self._send(200, json.dumps(self.server.dashboards(params)).encode())
            return
        explore = {"name": "content_usage", "fields": {"dimensions": DIMENSIONS}}
        self._send(200, json.dumps(explore).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_looker() -> t.Iterator[FakeLooker]:
    server = FakeLooker(("127.0.0.1", 0), _Handler)
    server.dashboard_calls = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def fake_config(server: FakeLooker, scheme: str = "http", **overrides: t.Any) -> dict:
    config = {
        "base_url": f"{scheme}://127.0.0.1:{server.server_address[1]}",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": 1000,
        "max_retries": 0,
        "timeout": 5,
    }
    return config | overrides


def _row(i: int, when: object = "2024-01-31 10:00:00", **extra: object) -> dict:
    return {
        "content_usage.id": i,
        "content_usage.content_id": str(i),
        "content_usage.api_count": 1,
        "content_usage.last_accessed_time": when,
    } | extra


@pytest.mark.parametrize(
    ("when", "emitted"),
    [
        ("2024/01/31 10:00:00", "2024-01-31T10:00:00+00:00"),
        ("2024-01-31 10:00:00 UTC", "2024-01-31T10:00:00+00:00"),
        ("2024-01-31T12:00:00+02:00", "2024-01-31T10:00:00+00:00"),
        (1706695200, "2024-01-31T10:00:00+00:00"),
    ],
)
def test_timestamps_in_other_formats_are_correct(fake_looker, when: object, emitted: str) -> None:
    fake_looker.rows = [_row(1, when), _row(2, when)]
    run = run_tap(fake_config(fake_looker))
    assert [r["last_accessed_time"] for r in run.records["content_usage"]] == [emitted] * 2


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ([_row(1), _row(2, **{"content_usage.id": None}), _row(3)], ["without content_usage.id"]),
        ([_row(1, **{"content_usage.api_count": "12,000"})], ["'12,000'", "api_count"]),
        ([_row(1, **{"content_usage.api_count": "5.5"})], ["'5.5'", "integer"]),
        ([_row(1, "2024-01-31 10:00:00.250")], ["sub-second"]),
        ([_row(1, "last tuesday")], ["'last tuesday'", "last_accessed_time"]),
        ([_row(2, "2024-01-31 11:00:00"), _row(1, "2024-01-31 10:00:00")], ["out of order"]),
        ([1, 2, 3], ["not a JSON object"]),
        ({"rows": []}, ["not an array of rows"]),
    ],
)
def test_values_a_server_should_not_send(fake_looker, rows: object, fragments: list) -> None:
    fake_looker.rows = rows
    run = run_tap(fake_config(fake_looker), check=False)
    assert_one_line_error(run, *fragments)


# --- the dashboard stream: REST search paged by offset -----------------------------------------


class Dashboards:
    """An id-sorted dashboard list that honours limit/offset and can change between calls."""

    def __init__(self, live: int, deleted: int = 0) -> None:
        self.rows = {
            False: [_dashboard(i) for i in range(1, live + 1)],
            True: [_dashboard(i, deleted=True) for i in range(101, 101 + deleted)],
        }
        self.before_call: t.Callable[[int], None] = lambda _call: None
        self.calls = 0

    def __call__(self, params: dict[str, str]) -> object:
        self.before_call(self.calls)
        self.calls += 1
        rows = self.rows[params["deleted"] == "true"]
        offset, limit = int(params["offset"]), int(params["limit"])
        return rows[offset : offset + limit]

    def delete(self, dashboard_id: int) -> None:
        row = next(r for r in self.rows[False] if r["id"] == str(dashboard_id))
        self.rows[False].remove(row)
        self.rows[True] = sorted([*self.rows[True], row | {"deleted": True}], key=_by_id)


def _dashboard(i: int, *, deleted: bool = False) -> dict[str, t.Any]:
    return {"id": str(i), "title": f"Dashboard {i}", "deleted": deleted}


def _by_id(row: dict[str, t.Any]) -> int:
    return int(row["id"])


def _dashboards_only(server: FakeLooker, **overrides: t.Any) -> TapRun:
    config = fake_config(server, **overrides)
    catalog = json.loads(run_tap(config, args=("--discover",)).stdout)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if not md["breadcrumb"]:
                md["metadata"]["selected"] = entry["tap_stream_id"] == "dashboard"
    return run_tap(config, catalog=catalog, check=False)


def _ids(run: TapRun) -> list[str]:
    return [r["id"] for r in run.records["dashboard"]]


def test_a_dashboard_pass_ends_only_on_a_page_with_nothing_new(fake_looker) -> None:
    fake_looker.dashboards = Dashboards(live=5, deleted=2)
    run = _dashboards_only(fake_looker, page_size=2)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _ids(run) == ["1", "2", "3", "4", "5", "101", "102"]
    # deleted=false: [1,2], then one row of overlap: [2,3,4], [4,5] (short: maybe a cap),
    # [5] (nothing new: the end); deleted=true: [101,102], [102]. One call per pass more
    # than the pages the rows fill.
    calls = [(c["deleted"], c["offset"], c["limit"]) for c in fake_looker.dashboard_calls]
    assert calls == [
        ("false", "0", "2"), ("false", "1", "3"), ("false", "3", "3"), ("false", "4", "3"),
        ("true", "0", "2"), ("true", "1", "3"),
    ]  # fmt: skip
    assert "moved between two pages" not in run.stderr


@pytest.mark.parametrize("moment", [1, 2], ids=["after-page-1", "after-page-2"])
def test_a_dashboard_deleted_between_pages_loses_no_other_dashboard(
    fake_looker, moment: int
) -> None:
    dashboards = Dashboards(live=7)
    dashboards.before_call = lambda call: dashboards.delete(2) if call == moment else None
    fake_looker.dashboards = dashboards
    run = _dashboards_only(fake_looker, page_size=2)
    assert run.returncode == 0, run.stderr[-2000:]
    records = {r["id"]: r for r in run.records["dashboard"]}
    # Plain offset paging skips dashboard 3 or 5 here: every row behind 2 moved up by one.
    assert sorted(records, key=int) == ["1", "2", "3", "4", "5", "6", "7"]
    assert records["2"]["deleted"] is True  # the later read wins
    assert len(_ids(run)) == 8  # 2 once as live, once as deleted; every other id once
    assert "rows moved between two pages" in run.stderr


def test_a_server_ignoring_offset_fails_in_one_line_instead_of_looping(fake_looker) -> None:
    rows = [_dashboard(i) for i in range(1, 6)]
    fake_looker.dashboards = lambda params: rows[: int(params["limit"])]
    run = _dashboards_only(fake_looker, page_size=2)
    assert_one_line_error(run, "stream dashboard", "kept moving between pages", "offset")
    assert len(fake_looker.dashboard_calls) == 8  # 4 passes of 2 calls, then the error


@pytest.mark.parametrize("bad", [None, ""], ids=["null", "empty"])
def test_a_dashboard_without_id_fails_in_one_line(fake_looker, bad: object) -> None:
    rows = [_dashboard(1), _dashboard(2) | {"id": bad}, _dashboard(3)]
    fake_looker.dashboards = lambda params: rows if params["offset"] == "0" else []
    run = _dashboards_only(fake_looker)
    assert_one_line_error(run, "stream dashboard", "dashboard without id")
    assert run.records.get("dashboard", []) == []  # nothing of a page with a bad row


def test_numbers_sent_as_numeric_strings_are_numbers(fake_looker) -> None:
    fake_looker.rows = [_row(1, **{"content_usage.api_count": "5.0", "content_usage.id": "7"})]
    run = run_tap(fake_config(fake_looker))
    record = run.records["content_usage"][0]
    assert (record["id"], record["api_count"]) == (7, 5)


def test_a_lone_surrogate_in_a_string_becomes_a_replacement_character(fake_looker) -> None:
    fake_looker.rows = [_row(1, **{"content_usage.content_id": "a\ud83db"})]
    run = run_tap(fake_config(fake_looker))
    assert run.records["content_usage"][0]["content_id"] == "a\ufffdb"


# --- the transport ----------------------------------------------------------------------------


def test_a_trickling_server_cannot_hold_the_run_past_the_timeout(fake_looker) -> None:
    fake_looker.rows = [_row(i) for i in range(1, 200)]
    fake_looker.trickle_seconds = 0.05  # every byte, well under the per-read timeout
    started = time.monotonic()
    run = run_tap(fake_config(fake_looker, timeout=2), check=False)
    assert_one_line_error(run, "timed out after 2s")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("status", [401, 403])
def test_error_bodies_echoing_the_secret_never_reach_the_log(fake_looker, status: int) -> None:
    fake_looker.error_status = status
    fake_looker.error_body = json.dumps({"message": f"bad client_secret={CLIENT_SECRET}"}).encode()
    run = run_tap(fake_config(fake_looker), check=False)
    assert_one_line_error(run, str(status))
    assert "[redacted]" in run.stderr


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_looker(fake_looker: FakeLooker, certificate: tuple[Path, Path]) -> FakeLooker:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    fake_looker.socket = context.wrap_socket(fake_looker.socket, server_side=True)
    fake_looker.rows = [_row(1)]
    return fake_looker


def test_an_untrusted_certificate_is_named_as_a_tls_problem(tls_looker) -> None:
    run = run_tap(fake_config(tls_looker, "https", max_retries=3), check=False)
    assert_one_line_error(run, "TLS/certificate problem")
    assert "retry" not in run.stderr  # not a transient failure


def test_verify_ssl_false_wins_over_requests_ca_bundle(tls_looker, tmp_path: Path) -> None:
    # A CA bundle that does not trust the server: requests would prefer it over verify=False.
    bundle = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=other", "-keyout", str(tmp_path / "k"), "-out", str(bundle)],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {"REQUESTS_CA_BUNDLE": str(bundle)}
    trusted = run_tap(fake_config(tls_looker, "https"), env=env, check=False)
    assert_one_line_error(trusted, "TLS/certificate problem")

    run = run_tap(fake_config(tls_looker, "https", verify_ssl=False), env=env)
    assert [r["id"] for r in run.records["content_usage"]] == [1]


def test_a_json_server_that_is_not_looker(fake_looker) -> None:
    fake_looker.rows = [_row(1)]
    original = _Handler.do_GET
    _Handler.do_GET = lambda self: self._send(200, b'{"status": "ok"}')  # type: ignore[method-assign]
    try:
        run = run_tap(fake_config(fake_looker), check=False)
    finally:
        _Handler.do_GET = original  # type: ignore[method-assign]
    assert_one_line_error(run, "does not look like a Looker API")


# --- catalogs, stream maps, signals -----------------------------------------------------------


def _discovered(sim) -> dict:
    return json.loads(run_tap(tap_config(sim), args=("--discover",)).stdout)


def test_a_catalog_that_deselects_the_replication_key(make_simulator) -> None:
    sim = make_simulator(rows=50)
    catalog = _discovered(sim)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if md["breadcrumb"] == ["properties", "last_accessed_time"]:
                md["metadata"]["selected"] = False
                md["metadata"]["inclusion"] = "available"
    run = run_tap(tap_config(sim), catalog=catalog, check=False)
    assert_one_line_error(run, "content_usage.last_accessed_time", "keys cannot be deselected")


def test_a_stream_map_that_removes_the_key(make_simulator) -> None:
    sim = make_simulator(rows=50)
    maps = {"content_usage": {"id": None}}
    run = run_tap(tap_config(sim, stream_maps=maps), check=False)
    if run.returncode == 0:  # singer-sdk may refuse the map; if it runs, keys must be intact
        assert all(r.get("id") is not None for r in run.records["content_usage"])
        return
    assert_one_line_error(run)


def test_sigterm_mid_extract_exits_non_zero_with_no_state_past_the_records(
    make_simulator, tmp_path: Path
) -> None:
    sim = make_simulator(rows=6_000, seed=8, query_delay=0.3)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(tap_config(sim, page_size=200)))
    proc = subprocess.Popen(
        [str(TAP_EXECUTABLE), "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if sum('"RECORD"' in x for x in lines) >= 300:
            proc.send_signal(signal.SIGTERM)
            break
    rest, stderr = proc.communicate(timeout=60)
    lines += rest.splitlines(keepends=True)
    assert proc.returncode == 128 + signal.SIGTERM
    assert stderr.strip().splitlines()[-1].startswith(ONE_LINE_PREFIX + "stopped by SIGTERM")
    messages = [json.loads(x) for x in lines if x.startswith("{")]
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    assert len(records) < len(expected_by_id(sim))
    delivered = max(r["last_accessed_time"] for r in records)
    for message in messages:
        if message["type"] == "STATE":
            value = message["value"].get("bookmarks", {}).get("content_usage", {})
            rk = value.get("replication_key_value")
            assert rk is None or rk <= delivered
