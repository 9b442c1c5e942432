"""`SimulatorClient`: drive a simulator running in another process over /_simulator."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode


class SimulatorError(RuntimeError):
    """A control-plane call was rejected."""


class SimulatorClient:
    """Thin stdlib client for the control endpoints of a running looker-simulator."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(
        self, method: str, route: str, payload: dict[str, Any] | None = None, **query: str
    ) -> Any:
        url = f"{self.base_url}/_simulator{route}"
        if query:
            url += "?" + urlencode(query)
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SimulatorError(f"{method} {route}: {exc.code} {exc.read().decode()}") from exc

    def wait_ready(self, timeout: float = 30.0) -> dict[str, Any]:
        """Poll /_simulator/health until the server answers (for freshly spawned processes)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except (OSError, SimulatorError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def advance(
        self,
        seconds: int = 0,
        new_rows: int = 0,
        touched_rows: int = 0,
        *,
        late_rows: int = 0,
        late_by: int = 3600,
    ) -> None:
        payload = {"seconds": seconds, "new_rows": new_rows, "touched_rows": touched_rows}
        self._call("POST", "/advance", payload | {"late_rows": late_rows, "late_by": late_by})

    def inject(
        self, kind: str | int, count: int = 1, match: str = "any", skip: int = 0, **params: Any
    ) -> None:
        payload = {"kind": str(kind), "count": count, "match": match, "skip": skip, **params}
        self._call("POST", "/faults", payload)

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")["faults"]
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def truth(self, explore: str = "content_usage") -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/truth", explore=explore)
        return result

    def truth_view(self, explore: str, view: str) -> list[dict[str, Any]]:
        """A joined view's own rows (see LookerSimulator.truth_view)."""
        result: list[dict[str, Any]] = self._call("GET", "/truth", explore=explore, view=view)
        return result

    def dashboards(self, deleted: bool | None = None) -> list[dict[str, Any]]:
        """Every dashboard as API 4.0 JSON (deleted True/False filters; None: all)."""
        flag = "all" if deleted is None else str(deleted).lower()
        result: list[dict[str, Any]] = self._call("GET", "/dashboards", deleted=flag)
        return result

    def row_count(self, explore: str = "content_usage") -> int:
        return int(self._call("GET", "/row_count", explore=explore)["row_count"])

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/stats")
        return result

    def reset_stats(self) -> None:
        self._call("POST", "/reset_stats")

    def add_dimension(
        self,
        name: str,
        looker_type: str,
        default: Any = None,
        *,
        template: str | None = None,
        explore: str = "content_usage",
        label: str | None = None,
        hidden: bool = False,
    ) -> None:
        """Add a dimension; `template` is a str.format() over the row, e.g. "{content_type}"."""
        payload = {"name": name, "type": looker_type, "default": default, "template": template}
        payload |= {"explore": explore, "label": label, "hidden": hidden}
        self._call("POST", "/dimensions", payload)

    def remove_dimension(self, name: str, *, explore: str = "content_usage") -> None:
        self._call("DELETE", f"/dimensions/{quote(name)}", explore=explore)

    def remove_explore(self, explore: str) -> None:
        self._call("DELETE", f"/explores/{quote(explore)}")

    def configure(self, **settings: Any) -> None:
        self._call("POST", "/config", settings)

    def expire_tokens(self) -> None:
        self._call("POST", "/expire_tokens")
