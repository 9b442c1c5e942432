"""Settings and bookmarks as people get them wrong: the default, or one line and exit 2.

Every setting of the tap's config schema (its own and singer-sdk's built-in ones, nested
declared ones such as ``stream_map_config.hash_pii`` included) is found by walking the
schema, so a new setting is covered without touching this file:

- ``null`` for a setting means the setting is unset (its default applies), exactly as if
  it were left out; never a TypeError.
- A boolean, integer or number setting given as text (how Meltano passes its ``kind:
  string`` settings) is taken when it spells a value of that kind and refused in one line
  naming the setting otherwise: a typo never silently means ``false``.
- Bookmarks with an impossible UTC offset, or at the ends of the calendar, are one line
  naming the stream, or (before 1970: "reload everything") a load from the beginning.
"""

from __future__ import annotations

import copy
import json
import signal
import typing as t

import pytest
from looker_simulator.testing import simulator_factory

from tap_looker_activity.errors import LookerConfigError
from tap_looker_activity.tap import NULL_IS_A_VALUE, TapLookerActivity
from tests.conftest import CLIENT_ID, CLIENT_SECRET, expected_by_id, tap_config
from tests.singer_run import TapRun, run_tap

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from looker_simulator import LookerSimulator

PREFIX = "tap-looker-activity: error: "
CONFIG_ERROR_EXIT = 2


def _full_schema() -> dict[str, t.Any]:
    schema = copy.deepcopy(TapLookerActivity.config_jsonschema)
    TapLookerActivity.append_builtin_config(schema)
    return schema


def _settings(schema: dict[str, t.Any], prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(dotted name, schema) of every declared setting, nested declared ones included."""
    for name, sub in schema.get("properties", {}).items():
        yield prefix + name, sub
        if sub.get("properties"):
            yield from _settings(sub, f"{prefix}{name}.")


def _kind(sub: dict[str, t.Any]) -> str | None:
    types = sub.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    types.discard("null")
    return next(iter(types)) if len(types) == 1 else None


SETTINGS = dict(_settings(_full_schema()))
BOOLEANS = sorted(n for n, s in SETTINGS.items() if _kind(s) == "boolean")
INTEGERS = sorted(n for n, s in SETTINGS.items() if _kind(s) == "integer")
NUMBERS = sorted(n for n, s in SETTINGS.items() if _kind(s) == "number")


def _with(config: dict[str, t.Any], dotted: str, value: object) -> dict[str, t.Any]:
    """``config`` with the setting at ``dotted`` set to ``value`` (the key kept)."""
    config = copy.deepcopy(config)
    *parents, leaf = dotted.split(".")
    node = config
    for parent in parents:
        node = node.setdefault(parent, {})
    node[leaf] = value
    return config


def _without(config: dict[str, t.Any], dotted: str) -> dict[str, t.Any]:
    config = copy.deepcopy(config)
    *parents, leaf = dotted.split(".")
    node = config
    for parent in parents:
        node = node.setdefault(parent, {})
    node.pop(leaf, None)
    return config


def _last_line(run: TapRun) -> str:
    lines = run.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def _outcome(run: TapRun) -> tuple[int, list[int], str]:
    """What a run amounts to: its exit code, the rows it emitted, its error line."""
    return run.returncode, sorted(run.ids()), _last_line(run) if run.returncode else ""


def assert_config_error(run: TapRun, *fragments: str) -> str:
    """One line, exit 2, no traceback, no record, never the secret."""
    assert run.returncode == CONFIG_ERROR_EXIT, (run.returncode, run.stderr[-3000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert CLIENT_SECRET not in run.stderr + run.stdout
    errors = [line for line in run.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(errors) == 1, run.stderr[-3000:]
    assert errors[0] == _last_line(run), run.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not run.records
    return errors[0]


@pytest.fixture(scope="module")
def sim() -> Iterator[LookerSimulator]:
    with simulator_factory(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as make:
        yield make(rows=40, seed=17)


def test_the_schema_walk_finds_the_settings_this_file_is_about() -> None:
    assert {"lookback_minutes", "page_size", "max_retries", "timeout"} <= set(INTEGERS)
    assert {"exclude_own_activity", "verify_ssl", "stream_map_config.hash_pii"} <= set(BOOLEANS)
    assert "backoff_factor" in NUMBERS
    assert {"system_timezone", "query_timezone", "start_date", "explores"} <= set(SETTINGS)


# --- null: the same as leaving the setting out ---------------------------------------------


_ABSENT: dict[str, tuple[int, list[int], str]] = {}


@pytest.mark.parametrize("name", sorted(set(SETTINGS) - NULL_IS_A_VALUE))
def test_null_for_any_setting_is_the_same_as_leaving_it_out(
    sim: LookerSimulator, name: str
) -> None:
    base = tap_config(sim)
    absent_config = _without(base, name)
    key = json.dumps(absent_config, sort_keys=True)
    if key not in _ABSENT:  # most settings are not in the base config: one run for them all
        _ABSENT[key] = _outcome(run_tap(absent_config, check=False))
    null = run_tap(_with(base, name, None), check=False)

    assert "Traceback" not in null.stderr, null.stderr[-3000:]
    assert null.returncode in {0, CONFIG_ERROR_EXIT}, null.stderr[-3000:]
    assert _outcome(null) == _ABSENT[key], null.stderr[-3000:]
    # What the tap works with: the same settings, defaults filled in (a run of the sample
    # stream cannot show every setting, e.g. max_retries without a fault).
    assert _loaded(_with(base, name, None)) == _loaded(absent_config)


class _ConfigOnly(TapLookerActivity):
    """The tap up to its settings: no stream maps, so no Looker call."""

    def setup_mapper(self) -> None:
        pass


def _loaded(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """The config a tap built in this process works with (its signal handlers undone)."""
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return copy.deepcopy(dict(_ConfigOnly(config=copy.deepcopy(config)).config))
    except LookerConfigError as exc:  # refused: compared by what it says
        return {"refused": str(exc)}
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def test_a_null_that_is_a_value_of_its_own_is_kept(sim: LookerSimulator) -> None:
    """singer-sdk's stream_maps {"__else__": null}: every stream without a map is removed."""
    maps = {"__else__": None, "content_usage": {"id": "id"}}
    assert _loaded(tap_config(sim, stream_maps=maps))["stream_maps"] == maps


def test_null_for_every_setting_at_once_runs_on_the_defaults(sim: LookerSimulator) -> None:
    config = tap_config(sim)
    for name in SETTINGS:
        if name not in {"base_url", "client_id", "client_secret"} and "." not in name:
            config[name] = None
    run = run_tap(config)
    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)


# --- text for boolean, integer and number settings (Meltano's kind: string) -----------------
# One run sets every setting of a kind at once: the one error line must name each of them.


def _all_set(sim: LookerSimulator, names: list[str], value: object) -> dict[str, t.Any]:
    config = tap_config(sim)
    for name in names:
        config = _with(config, name, value)
    return config


@pytest.mark.parametrize("wrong", ["ture", "flase", "", "on", 1, [True]])
def test_a_boolean_setting_that_is_not_true_or_false_is_refused(
    sim: LookerSimulator, wrong: object
) -> None:
    run = run_tap(_all_set(sim, BOOLEANS, wrong), check=False)
    line = assert_config_error(run)
    for name in BOOLEANS:
        assert f"{name} must be true or false, got {wrong!r}" in line, line


@pytest.mark.parametrize("spelling", ["false", " FALSE ", "no", "0"])
def test_a_boolean_setting_spelled_as_text_is_taken(sim: LookerSimulator, spelling: str) -> None:
    run = run_tap(_all_set(sim, BOOLEANS, spelling))
    assert len(run.ids()) == len(expected_by_id(sim))


@pytest.mark.parametrize("wrong", ["ten", "", "1.5", "1e3", "0x10", True, 2.5, [3]])
def test_an_integer_setting_that_is_not_an_integer_is_refused(
    sim: LookerSimulator, wrong: object
) -> None:
    run = run_tap(_all_set(sim, INTEGERS, wrong), check=False)
    line = assert_config_error(run)
    for name in INTEGERS:
        assert f"{name} must be an integer, got {wrong!r}" in line, line


@pytest.mark.parametrize("spelling", ["{}", " +{} ", "{}.0"])
def test_an_integer_setting_given_as_text_is_taken(sim: LookerSimulator, spelling: str) -> None:
    config = tap_config(sim)
    for name in INTEGERS:
        sub = SETTINGS[name]
        value = spelling.format(min(max(7, sub.get("minimum", 7)), sub.get("maximum", 7)))
        # "7.0": a JSON number with a zero fraction, not text
        config = _with(config, name, float(value) if value.endswith(".0") else value)
    run = run_tap(config)
    assert len(run.ids()) == len(expected_by_id(sim))


def test_an_integer_setting_out_of_range_as_text_is_refused(sim: LookerSimulator) -> None:
    bounded = [name for name in INTEGERS if "minimum" in SETTINGS[name]]
    config = tap_config(sim)
    for name in bounded:
        config = _with(config, name, str(SETTINGS[name]["minimum"] - 1))
    line = assert_config_error(run_tap(config, check=False))
    for name in bounded:
        assert f"in config['{name}']" in line, line


@pytest.mark.parametrize("wrong", ["soon", "", "nan", "inf", "1_0", True, [1]])
def test_a_number_setting_that_is_not_a_number_is_refused(
    sim: LookerSimulator, wrong: object
) -> None:
    run = run_tap(_all_set(sim, NUMBERS, wrong), check=False)
    line = assert_config_error(run)
    for name in NUMBERS:
        assert f"{name} must be a number, got {wrong!r}" in line, line


@pytest.mark.parametrize("spelling", ["0.05", " 0.05 ", "5e-2", "0"])
def test_a_number_setting_given_as_text_is_taken(sim: LookerSimulator, spelling: str) -> None:
    run = run_tap(_all_set(sim, NUMBERS, spelling))
    assert len(run.ids()) == len(expected_by_id(sim))


@pytest.mark.parametrize(
    ("value", "own"),
    [("false", "kept"), (" No ", "kept"), ("true", "left out"), (None, "left out")],
)
def test_exclude_own_activity_as_text_or_null_means_what_it_says(
    make_simulator, value: object, own: str
) -> None:
    """ "false" (Meltano's text) is false, not a non-empty string; null is the default, true."""
    sim = make_simulator(rows=10, seed=18, explores={"history": 200})  # footprint recorded
    catalog = json.loads(run_tap(tap_config(sim), args=("--discover",)).stdout)
    for entry in catalog["streams"]:
        for md in entry["metadata"]:
            if not md["breadcrumb"]:
                md["metadata"]["selected"] = entry["tap_stream_id"] == "history"

    run_tap(tap_config(sim), catalog=catalog)  # the tap's footprint in history, to read
    own_ids = {r["id"] for r in sim.truth("history") if r["user_id"] == sim.api_user_id}
    assert own_ids, "the simulator records the tap's queries in history"

    run = run_tap(tap_config(sim, exclude_own_activity=value), catalog=catalog)

    emitted = {r["id"] for r in run.records["history"]}
    assert (own_ids <= emitted) if own == "kept" else not (own_ids & emitted)


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("EXCLUDE_OWN_ACTIVITY", "ture", "exclude_own_activity must be true or false, got 'ture'"),
        ("LOOKBACK_MINUTES", "ten", "lookback_minutes must be an integer, got 'ten'"),
        ("BACKOFF_FACTOR", "soon", "backoff_factor must be a number, got 'soon'"),
    ],
)
def test_config_env_settings_are_checked_like_a_config_file(
    sim: LookerSimulator, variable: str, value: str, fragment: str
) -> None:
    """``--config ENV``: singer-sdk alone reads "ture" as false and int("ten") raises."""
    env = {
        f"TAP_LOOKER_ACTIVITY_{name.upper()}": str(setting)
        for name, setting in tap_config(sim).items()
    }
    env[f"TAP_LOOKER_ACTIVITY_{variable}"] = value
    run = run_tap(None, args=("--config", "ENV"), env=env, check=False)  # type: ignore[arg-type]
    assert_config_error(run, fragment)


def test_config_env_settings_given_right_are_taken(sim: LookerSimulator) -> None:
    env = {
        f"TAP_LOOKER_ACTIVITY_{name.upper()}": str(setting)
        for name, setting in tap_config(sim).items()
    }
    env["TAP_LOOKER_ACTIVITY_EXCLUDE_OWN_ACTIVITY"] = "false"
    run = run_tap(None, args=("--config", "ENV"), env=env)  # type: ignore[arg-type]
    assert len(run.ids()) == len(expected_by_id(sim))


def test_several_bad_settings_are_one_line_naming_each(sim: LookerSimulator) -> None:
    config = tap_config(sim, lookback_minutes="ten", exclude_own_activity="ture")
    line = assert_config_error(run_tap(config, check=False))
    assert "lookback_minutes" in line
    assert "exclude_own_activity" in line


# --- bookmarks --------------------------------------------------------------------------------


def _state(value: object) -> dict[str, t.Any]:
    return {
        "bookmarks": {
            "content_usage": {
                "replication_key": "last_accessed_time",
                "replication_key_value": value,
            }
        }
    }


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-31T10:00:00+25:00",
        "2024-01-31T10:00:00-24:00",
        "2024-01-31T10:00:00+05:60",
        "2024-01-31T10:00:00+9999",
    ],
)
def test_a_bookmark_with_an_impossible_offset_is_one_line(sim: LookerSimulator, value: str) -> None:
    run = run_tap(tap_config(sim), state=_state(value), check=False)
    assert_config_error(run, "bookmark of stream content_usage", value)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-01:00", "9999-12-31T23:30:00Z"])
def test_a_bookmark_at_the_end_of_the_calendar_is_one_line(
    sim: LookerSimulator, value: str
) -> None:
    run = run_tap(tap_config(sim), state=_state(value), check=False)
    assert_config_error(run, "bookmark of stream content_usage", value)


def test_a_start_date_with_an_impossible_offset_is_one_line(sim: LookerSimulator) -> None:
    run = run_tap(tap_config(sim, start_date="2024-01-31T10:00:00+25:00"), check=False)
    assert_config_error(run, "start_date", "+25:00")


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "0001-01-01", "1969-12-31"]
)
def test_a_bookmark_before_1970_reloads_everything(make_simulator, value: str) -> None:
    """The "reload everything" bookmark: read from the beginning, with the look-back on."""
    sim = make_simulator(rows=300, seed=19)
    config = tap_config(sim, lookback_minutes=1440)

    run = run_tap(config, state=_state(value), check=False)

    assert run.returncode == 0, run.stderr[-3000:]
    assert {r["id"]: r for r in run.records["content_usage"]} == expected_by_id(sim)
    first = sim.stats()["queries"][0]["body"]["filters"]
    assert first == {"content_usage.last_accessed_time": "NOT NULL"}
    assert run.bookmark() == max(r["last_accessed_time"] for r in expected_by_id(sim).values())
    assert "before 1970" in run.stderr


def test_a_bookmark_before_1970_reloads_from_start_date(make_simulator) -> None:
    sim = make_simulator(rows=300, seed=20)
    truth = expected_by_id(sim)
    start = sorted(r["last_accessed_time"] for r in truth.values())[150]
    config = tap_config(sim, lookback_minutes=1440, start_date=start)

    run = run_tap(config, state=_state("0001-01-01T00:00:00Z"))

    assert set(run.ids()) == {i for i, r in truth.items() if r["last_accessed_time"] >= start}
