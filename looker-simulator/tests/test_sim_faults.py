"""Fault injection, in-process and over HTTP."""

from __future__ import annotations

import base64
import http.client
import time
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from simtest_helpers import Api, f

from looker_simulator import LookerSimulator, SimulatorClient

BODY = {"fields": [f("id")], "sorts": [f("id")], "limit": "10"}


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_status_faults_answer_with_looker_error_bodies(
    api: Api, clean: LookerSimulator, status: int
) -> None:
    api.login()
    clean.inject(str(status), count=2, match="query", retry_after=7)
    for _ in range(2):
        resp = api.query(BODY)
        assert resp.status_code == status
        assert resp.headers["Retry-After"] == "7"
        assert resp.json()["documentation_url"].startswith("http://127.0.0.1/")
    assert api.query(BODY).status_code == 200
    assert clean.stats()["statuses"][str(status)] == 2


def test_429_defaults_retry_after_to_one_second(api: Api, clean: LookerSimulator) -> None:
    clean.inject(429, match="query")
    resp = api.query(BODY)
    assert (resp.status_code, resp.headers["Retry-After"]) == (429, "1")


def test_match_kinds_and_skip(api: Api, clean: LookerSimulator) -> None:
    clean.inject("500", match="login")
    assert api.login().status_code == 500
    assert api.login().status_code == 200
    clean.inject("503", match="explore")
    assert api.query(BODY).status_code == 200  # a query does not match "explore"
    path = "/lookml_models/system__activity/explores/content_usage"
    assert api.get(path).status_code == 503
    clean.inject("500", match="query", skip=2)  # third query fails
    assert [api.query(BODY).status_code for _ in range(4)] == [200, 200, 500, 200]
    clean.inject("500", count=3, match="any")
    clean.clear_faults()
    assert api.query(BODY).status_code == 200


def test_slow_trips_client_timeouts(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("slow", match="query", seconds=2)
    start = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.query(BODY, timeout=0.3)
    assert time.monotonic() - start < 1.5
    assert api.query(BODY).status_code == 200


def test_expire_token_gives_401_then_relogin_works(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("expire_token", match="query")
    resp = api.query(BODY)
    assert resp.status_code == 401
    assert resp.json()["message"] == "Requires authentication."
    assert api.query(BODY).status_code == 401  # every token was invalidated
    api.login()
    assert api.query(BODY).status_code == 200


def test_truncated_body_breaks_the_read(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("truncated", match="query")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.query({**BODY, "limit": "2000"})
    # The same with a raw client: Content-Length promises more than arrives.
    clean.inject("truncated", match="query")
    u = urlsplit(clean.base_url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=5)
    conn.request(
        "POST",
        "/api/4.0/queries/run/json",
        body=b'{"model":"system__activity","view":"content_usage","fields":["content_usage.id"]}',
        headers={"Authorization": f"token {api.token}", "Content-Type": "application/json"},
    )
    try:
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
    finally:
        conn.close()
    assert api.query(BODY).status_code == 200


def test_malformed_json(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("malformed", match="query")
    resp = api.query(BODY)
    assert resp.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        resp.json()


def test_html_login_page(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("html", match="query")
    resp = api.query(BODY)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.text.startswith("<!DOCTYPE html>")


def test_looker_error_row(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("looker_error", match="query", message="SQL Error: boom")
    resp = api.query(BODY)
    assert resp.status_code == 200
    assert resp.json() == [{"looker_error": "SQL Error: boom"}]


def test_hostile_echo_placeholders_quote_the_credentials(api: Api, clean: LookerSimulator) -> None:
    """Not Looker behaviour: a server quoting credentials, for clients' redaction tests."""
    api.login()
    clean.inject("401", match="query", message="bad {token} / {authorization}")
    clean.inject("sql_error", match="query", message="{client_secret} {client_secret_json}")
    clean.inject("403", match="query", message="{login_form} {basic_auth}")
    assert api.query(BODY).json()["message"] == f"bad {api.token} / token {api.token}"
    secret = api.secret
    assert api.query(BODY).json() == [{"looker_error": f'{secret} "{secret}"'}]
    pair = base64.b64encode(f"{api.client_id}:{secret}".encode()).decode()
    form = urlencode({"client_id": api.client_id, "client_secret": secret})
    assert api.query(BODY).json()["message"] == f"{form} {pair}"
    clean.inject("looker_error", match="query", message="no {placeholder} here")
    assert api.query(BODY).json() == [{"looker_error": "no {placeholder} here"}]


def test_disconnect(api: Api, clean: LookerSimulator) -> None:
    api.login()
    clean.inject("disconnect", match="query")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.query(BODY)
    assert api.query(BODY).status_code == 200


def test_faults_are_counted_in_stats(api: Api, clean: LookerSimulator) -> None:
    clean.inject("503", match="query")
    api.query(BODY)
    api.query(BODY)
    stats = clean.stats()
    assert stats["query"] == 2
    assert stats["faults_applied"] == [{"kind": "503", "path_kind": "query"}]
    assert [q["status"] for q in stats["queries"]] == [503, 200]
    assert [q["fault"] for q in stats["queries"]] == ["503", None]


def test_unknown_fault_kind_or_match_is_rejected(clean: LookerSimulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        clean.inject("explode")
    with pytest.raises(ValueError, match="unknown match"):
        clean.inject("500", match="queries")


def test_faults_over_http_control_plane(api: Api, clean: LookerSimulator) -> None:
    client = SimulatorClient(clean.base_url)
    api.login()
    client.inject("429", count=1, match="query", retry_after=3)
    assert client.faults()[0]["kind"] == "429"
    resp = api.query(BODY)
    assert (resp.status_code, resp.headers["Retry-After"]) == (429, "3")
    client.inject("500", count=5, match="query")
    client.clear_faults()
    assert client.faults() == []
    assert api.query(BODY).status_code == 200
    assert client.stats()["query"] == 2


def test_after_is_an_alias_of_skip_and_unknown_params_are_rejected(
    api: Api, clean: LookerSimulator
) -> None:
    api.login()
    clean.inject("expire_token", match="query", after=2)
    assert [api.query(BODY).status_code for _ in range(3)] == [200, 200, 401]
    with pytest.raises(ValueError, match="takes no parameter"):
        clean.inject("500", retry_afer=3)
    with pytest.raises(ValueError, match="takes no parameter"):
        clean.inject("truncated", seconds=1)
