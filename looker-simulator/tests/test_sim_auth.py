from __future__ import annotations

import time

import requests
from simtest_helpers import CLIENT_ID, CLIENT_SECRET, Api, make_sim

from looker_simulator import LookerSimulator


def test_login_returns_access_token(api: Api) -> None:
    resp = api.login()
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] is None
    assert len(body["access_token"]) >= 30


def test_bad_or_missing_credentials_are_404_not_found(clean: LookerSimulator) -> None:
    url = f"{clean.base_url}/api/4.0/login"
    for data in (
        {"client_id": CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "wrong", "client_secret": CLIENT_SECRET},
        {"client_id": CLIENT_ID},
        {},
    ):
        resp = requests.post(url, data=data, timeout=5)
        assert resp.status_code == 404
        body = resp.json()
        assert body["message"] == "Not found"
        # Never a Looker docs host: looker-sdk would fetch it over the internet.
        assert body["documentation_url"].startswith("http://127.0.0.1/")
        assert "looker.com" not in body["documentation_url"]
        assert "cloud.google.com" not in body["documentation_url"]


def test_query_params_login_still_works(clean: LookerSimulator) -> None:
    resp = requests.post(
        f"{clean.base_url}/api/4.0/login",
        params={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )
    assert resp.status_code == 200


def test_missing_or_invalid_token_is_401(clean: LookerSimulator) -> None:
    url = f"{clean.base_url}/api/4.0/lookml_models/system__activity/explores/content_usage"
    for headers in ({}, {"Authorization": "token nope"}, {"Authorization": "Basic abc"}):
        resp = requests.get(url, headers=headers, timeout=5)
        assert resp.status_code == 401
        assert resp.json()["message"] == "Requires authentication."
        assert resp.json()["documentation_url"].startswith("http://127.0.0.1/")


def test_token_and_bearer_schemes_both_accepted(api: Api) -> None:
    api.login()
    path = "/lookml_models/system__activity/explores/content_usage"
    for scheme in ("token", "Bearer"):
        resp = api.session.get(
            f"{api.base_url}/api/4.0{path}",
            headers={"Authorization": f"{scheme} {api.token}"},
            timeout=5,
        )
        assert resp.status_code == 200


def test_logout_invalidates_token(api: Api) -> None:
    api.login()
    resp = api.session.delete(f"{api.base_url}/api/4.0/logout", headers=api.headers(), timeout=5)
    assert resp.status_code == 204
    assert api.get("/user").status_code == 401


def test_token_ttl_expiry() -> None:
    with make_sim(rows=10, token_ttl=1) as sim:
        api = Api(sim.base_url)
        assert api.login().json()["expires_in"] == 1
        assert api.get("/user").status_code == 200
        time.sleep(1.2)
        assert api.get("/user").status_code == 401


def test_expire_token_after_n_requests(api: Api, clean: LookerSimulator) -> None:
    clean.configure(expire_token_after=2)
    api.login()
    assert [api.get("/user").status_code for _ in range(3)] == [200, 200, 401]
    api.login()  # a fresh token gets a fresh budget
    assert api.get("/user").status_code == 200


def test_unknown_path_is_looker_404(api: Api) -> None:
    resp = api.get("/no/such/thing")
    assert resp.status_code == 404
    assert resp.json()["message"] == "Not found"


def test_wrong_base_path_is_an_html_404_and_versions_tell_them_apart(
    clean: LookerSimulator,
) -> None:
    base = clean.base_url
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    doubled = requests.post(f"{base}/api/4.0/api/4.0/login", data=form, timeout=5)
    assert doubled.status_code == 404
    assert doubled.headers["Content-Type"].startswith("text/html")
    assert "Looker Not Found (404)" in doubled.text
    bad = requests.post(f"{base}/api/4.0/login", data={**form, "client_secret": "x"}, timeout=5)
    assert bad.status_code == 404
    assert bad.headers["Content-Type"] == "application/json"
    assert bad.json()["message"] == "Not found"
    # GET /api/4.0/versions needs no token: a client can check its base URL first.
    for path in ("/api/4.0/versions", "/versions"):
        versions = requests.get(f"{base}{path}", timeout=5)
        assert versions.status_code == 200
        body = versions.json()
        assert body["current_version"]["version"] == "4.0"
        assert body["looker_release_version"]
        assert {v["version"] for v in body["supported_versions"]} == {"4.0"}
    wrong = requests.get(f"{base}/api/4.0/api/4.0/versions", timeout=5)
    assert wrong.status_code == 404
    assert "Looker Not Found" in wrong.text
