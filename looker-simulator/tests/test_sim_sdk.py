"""looker-sdk 26.22.0 against the simulator: login, explore metadata, inline query, errors."""

from __future__ import annotations

import json
from typing import Any

import looker_sdk
import pytest
from looker_sdk import error
from looker_sdk.rtl import api_settings
from looker_sdk.sdk.api40 import models
from simtest_helpers import CLIENT_ID, CLIENT_SECRET, f

from looker_simulator import LookerSimulator


def sdk_for(base_url: str, secret: str = CLIENT_SECRET) -> Any:
    class Settings(api_settings.ApiSettings):
        def read_config(self) -> api_settings.SettingsConfig:
            return {
                "base_url": base_url,
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "verify_ssl": "false",
                "timeout": "10",
            }

    return looker_sdk.init40(config_settings=Settings())


def test_sdk_login_explore_and_inline_query(clean: LookerSimulator) -> None:
    sdk = sdk_for(clean.base_url)
    explore = sdk.lookml_model_explore("system__activity", "content_usage")
    assert explore.id == "system__activity::content_usage"
    dims = {d.name: d.type for d in explore.fields.dimensions}
    assert dims[f("last_accessed_time")] == "date_time"
    assert dims[f("id")] == "number"

    body = models.WriteQuery(
        model="system__activity",
        view="content_usage",
        fields=[f("id"), f("last_accessed_time")],
        sorts=[f("last_accessed_time"), f("id")],
        filter_expression=f"${{{f('id')}}} > 100",
        limit="25",
        query_timezone="UTC",
    )
    rows = json.loads(sdk.run_inline_query("json", body, limit=20))
    assert len(rows) == 20
    assert all(r[f("id")] > 100 for r in rows)
    sdk.auth.logout()  # DELETE /api/logout (no version segment), as looker-sdk sends it
    stats = clean.stats()
    assert (stats["login"], stats["explore"], stats["query"], stats["logout"]) == (1, 1, 1, 1)


def test_sdk_errors_carry_a_local_documentation_url(clean: LookerSimulator) -> None:
    sdk = sdk_for(clean.base_url)
    bad = models.WriteQuery(model="system__activity", view="content_usage", fields=[f("nope")])
    with pytest.raises(error.SDKError) as exc:
        sdk.run_inline_query("json", bad)
    assert exc.value.message == "Validation Failed"
    assert exc.value.errors[0].message == "Unknown field content_usage.nope"
    # looker-sdk only fetches (from the internet) docs URLs on Looker hosts: none here.
    assert exc.value.error_doc_url == ""
    with pytest.raises(error.SDKError):
        sdk.lookml_model_explore("system__activity", "nope")


def test_sdk_bad_credentials(clean: LookerSimulator) -> None:
    with pytest.raises(error.SDKError, match="Not found"):
        sdk_for(clean.base_url, secret="wrong").me()


def test_sdk_relogs_in_after_its_token_expires() -> None:
    # looker-sdk renews 10 s before expires_in; a TTL of 10 s means every call logs in again.
    with LookerSimulator(rows=10, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                         token_ttl=10) as sim:  # fmt: skip
        sdk = sdk_for(sim.base_url)
        sdk.me()
        sdk.me()
        assert sim.stats()["login"] == 2
