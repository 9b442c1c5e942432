"""Test helpers: a tiny Looker API client over real HTTP, and simulator factories."""

from __future__ import annotations

from typing import Any

import requests

from looker_simulator import LookerSimulator

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-9f3b"  # tests grep for this to prove it never leaks
MODEL = "system__activity"
VIEW = "content_usage"
DIMENSIONS = [
    "id",
    "content_id",
    "content_title",
    "content_type",
    "api_count",
    "embed_count",
    "public_count",
    "schedule_count",
    "other_count",
    "favorite_count",
    "days_since_last_accessed",
    "days_since_last_access_tiers",
    "last_accessed_time",
    "last_accessed_date",
]


def f(name: str) -> str:
    return f"{VIEW}.{name}"


class Api:
    """Looker API 4.0 calls the way a tap makes them."""

    def __init__(self, base_url: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET):
        self.base_url = base_url
        self.session = requests.Session()
        self.client_id = client_id
        self.secret = secret
        self.token: str | None = None

    def login(self) -> requests.Response:
        resp = self.session.post(
            f"{self.base_url}/api/4.0/login",
            data={"client_id": self.client_id, "client_secret": self.secret},
            timeout=10,
        )
        if resp.status_code == 200:
            self.token = resp.json()["access_token"]
        return resp

    def headers(self) -> dict[str, str]:
        if self.token is None:
            self.login()
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(
            f"{self.base_url}/api/4.0{path}", headers=self.headers(), timeout=10, **kw
        )

    def query(
        self, body: dict[str, Any], fmt: str = "json", timeout: float = 30, **params: Any
    ) -> requests.Response:
        full = {"model": MODEL, "view": VIEW, **body}
        return self.session.post(
            f"{self.base_url}/api/4.0/queries/run/{fmt}",
            json=full,
            params=params,
            headers=self.headers(),
            timeout=timeout,
        )

    def rows(self, body: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        resp = self.query(body, **params)
        assert resp.status_code == 200, resp.text
        data: list[dict[str, Any]] = resp.json()
        return data


def make_sim(**kw: Any) -> LookerSimulator:
    kw.setdefault("client_id", CLIENT_ID)
    kw.setdefault("client_secret", CLIENT_SECRET)
    return LookerSimulator(**kw)
