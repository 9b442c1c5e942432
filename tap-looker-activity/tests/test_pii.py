"""Personal data hashing inside the tap (`hash_pii`): every stream, configured explores and
user stream maps included, through the real tap executable against the simulator."""

from __future__ import annotations

import hashlib
import json
import typing as t

import pytest
from looker_simulator import LookerSimulator

from tap_looker_activity.errors import LookerConfigError
from tap_looker_activity.explores import Dimension
from tap_looker_activity.pii import PersonalData
from tests.conftest import CLIENT_ID, CLIENT_SECRET, tap_config
from tests.singer_run import run_tap

SALT = "s3cret-salt"
AUDIT_USERS = {"name": "audit_users", "model": "system__activity", "explore": "user",
               "primary_keys": ["id"]}  # fmt: skip


def select_all(catalog: dict[str, t.Any]) -> dict[str, t.Any]:
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if not metadata["breadcrumb"]:
                metadata["metadata"]["selected"] = True
    return catalog


@pytest.fixture(scope="module")
def sim() -> t.Iterator[LookerSimulator]:
    with LookerSimulator(
        rows=30, explores="all", seed=5, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as simulator:
        yield simulator


def personal_values(sim: LookerSimulator) -> set[str]:
    users = sim.truth("user")
    return {u[key] for u in users for key in ("email", "name", "first_name", "last_name")
            if u.get(key)}  # fmt: skip


def test_no_plain_personal_value_leaves_the_tap(sim: LookerSimulator) -> None:
    config = tap_config(
        sim, hash_pii=True, pii_salt=SALT, explores=[AUDIT_USERS],
        # A user's own map trying to pass the email through under another name.
        stream_maps={"user": {"email_plain": "email"}},
    )  # fmt: skip
    catalog = select_all(json.loads(run_tap(config, args=("--discover",)).stdout))
    run = run_tap(config, catalog=catalog)
    plain = personal_values(sim)
    assert plain, "the simulator serves users with emails and names"
    output = run.stdout + run.stderr
    assert not [value for value in plain if value in output]
    email = next(u["email"] for u in sim.truth("user") if u.get("email"))
    hashed = hashlib.sha256((SALT + email).encode()).hexdigest()
    for stream in ("user", "audit_users"):
        assert hashed in {r.get("email") for r in run.records[stream]}, stream
    assert hashed in {r.get("email_plain") for r in run.records["user"]}


def test_typo_in_hash_pii_is_one_line_and_exit_2(sim: LookerSimulator) -> None:
    run = run_tap(tap_config(sim, hash_pii="ture"), check=False)
    assert run.returncode == 2
    assert "hash_pii must be true or false, got 'ture'" in run.stderr
    assert "Traceback" not in run.stderr


def test_hashing_without_a_salt_warns(sim: LookerSimulator) -> None:
    run = run_tap(tap_config(sim, hash_pii=True))
    assert "pii_salt" in run.stderr


def test_the_deprecated_switch_still_hashes_and_warns(sim: LookerSimulator) -> None:
    config = tap_config(sim, stream_map_config={"hash_pii": True, "pii_salt": SALT})
    catalog = select_all(json.loads(run_tap(config, args=("--discover",)).stdout))
    run = run_tap(config, catalog=catalog)
    assert "stream_map_config.hash_pii and stream_map_config.pii_salt: deprecated" in run.stderr
    assert not [value for value in personal_values(sim) if value in run.stdout]
    assert SALT not in run.stdout + run.stderr


# The rules, on the shapes Looker's text fields take (the simulator serves plain user rows).
RULES = PersonalData(enabled=True, salt=SALT, extra_fields=frozenset({"users.phone"}))


def h(value: str) -> str:
    return hashlib.sha256((SALT + value).encode()).hexdigest()


def dims(*names: str) -> list[Dimension]:
    return [Dimension(n, n.replace(".", "_"), "string", "string") for n in names]


@pytest.mark.parametrize(
    ("looker_name", "value", "expected"),
    [
        ("user.email", "ana@example.com", h("ana@example.com")),
        ("user.name", "Ana Lima", h("Ana Lima")),
        ("sudo_user.name", "Bo Ek", h("Bo Ek")),
        ("created_by_user.full_name", "Bo Ek", h("Bo Ek")),
        ("users.phone", "+4512", h("+4512")),  # named by pii_fields
        ("session.ip_address", "10.0.0.1", h("10.0.0.1")),
        (
            "history.message",
            "sent to ana@example.com, bo@x.io",
            f"sent to {h('ana@example.com')}, {h('bo@x.io')}",
        ),
        (
            "query.formatted_fields",
            "users.email = 'o'brien@ex.co'",
            f"users.email = '{h('o' + chr(39) + 'brien@ex.co')}'",
        ),
        ("dashboard.title", "Sales by region", "Sales by region"),  # not personal
        ("model.name", "thelook", "thelook"),  # a name, but not a user's
    ],
)  # fmt: skip
def test_a_text_field_is_hashed_by_its_name_or_the_addresses_in_it(
    looker_name: str, value: str, expected: str
) -> None:
    name = looker_name.replace(".", "_")
    assert RULES.scrubber(dims(looker_name))({name: value}) == {name: expected}


def test_filters_keep_their_json_and_lose_their_personal_values() -> None:
    filters = json.dumps({"user.email": "ana@example.com", "order.status": "open"})
    scrubbed = RULES.scrubber(dims("query.filters"))({"query_filters": filters})
    assert json.loads(scrubbed["query_filters"]) == {
        "user.email": h("ana@example.com"), "order.status": "open",
    }  # fmt: skip
    untouched = json.dumps({"order.status": "open"})
    assert RULES.scrubber(dims("query.filters"))({"query_filters": untouched}) == {
        "query_filters": untouched
    }


def test_a_name_value_row_hashes_the_value_of_a_personal_name() -> None:
    scrub = RULES.scrubber(dims("event_attribute.name", "event_attribute.value"))
    assert scrub({"event_attribute_name": "first_name", "event_attribute_value": "Ana"}) == {
        "event_attribute_name": "first_name", "event_attribute_value": h("Ana"),
    }  # fmt: skip
    assert scrub({"event_attribute_name": "dashboard_id", "event_attribute_value": "12"}) == {
        "event_attribute_name": "dashboard_id", "event_attribute_value": "12",
    }  # fmt: skip


def test_off_nulls_and_non_text_are_left_alone() -> None:
    record = {"user_email": "ana@example.com", "user_id": 3, "user_name": None}
    off = PersonalData(enabled=False, salt=SALT)
    assert off.scrubber(dims("user.email"))(dict(record)) == record
    assert RULES.scrubber(dims("user.email", "user.name"))(dict(record)) == {
        **record, "user_email": h("ana@example.com"),
    }  # fmt: skip


def test_pii_fields_naming_a_number_is_refused() -> None:
    with pytest.raises(
        LookerConfigError, match=r"pii_fields: users.phone is not a text field \(integer\)"
    ):
        RULES.scrubber([Dimension("users.phone", "users_phone", "number", "integer")])
