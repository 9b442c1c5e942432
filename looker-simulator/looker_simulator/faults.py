"""Fault injection queue, request statistics and API tokens."""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .errors import QUERY_TIMEOUT_MESSAGE

# Named faults; any three-digit HTTP status ("429", "500", "503", "502", ...) is a fault too.
NAMED_FAULTS = frozenset(
    {
        "slow",  # sleep params["seconds"] (default 5), then answer normally
        "expire_token",  # invalidate every token now, so this request gets 401
        "truncated",  # full Content-Length, half the body, then close the connection
        "malformed",  # 200 with a body that is not valid JSON
        "html",  # 200 text/html, like a proxy or SSO login page
        "disconnect",  # close the connection without any response
        "short",  # 200 with only the first params["rows"] rows (default half): cut once
        "looker_error",  # 200 with [{"looker_error": ...}], how Looker reports SQL errors
        "query_timeout",  # looker_error with a (transient) statement timeout message
        "sql_error",  # looker_error with a (permanent) SQL error message
    }
)
# Default messages of the looker_error faults (200 with [{"looker_error": message}]).
LOOKER_ERROR_MESSAGES = {
    "looker_error": "SQL Error: Lost connection to MySQL server during query",
    "query_timeout": QUERY_TIMEOUT_MESSAGE,
    "sql_error": "SQL Error: Unknown column 'history.nope' in 'field list' (column not found)",
}
# Hostile echo (not Looker behaviour): in a fault's `message`, these placeholders become the
# credentials the request carried or the simulator holds, as an odd server or proxy quoting
# them in an error would. Tests use them to check that a client redacts every echo.
ECHO_PLACEHOLDERS = (
    "{token}",  # the bearer token of this request ("" on login)
    "{authorization}",  # this request's Authorization header, as sent ("token abc...")
    "{client_secret}",  # the API client secret, as is
    "{client_secret_json}",  # the secret as a JSON string literal (quotes, escapes)
    "{login_form}",  # the login form body, percent-encoded: client_id=...&client_secret=...
    "{basic_auth}",  # HTTP Basic credentials: base64 of client_id:client_secret
)
MATCHES = frozenset({"login", "logout", "explore", "query", "other", "any"})
# Parameters each fault understands; anything else is a typo and is rejected.
_PARAMS = {"slow": {"seconds"}, "short": {"rows"}} | {
    kind: {"message"} for kind in LOOKER_ERROR_MESSAGES
}
_STATUS_PARAMS = {"retry_after", "message"}
_AUTHED = frozenset({"logout", "explore", "query", "other"})
QUERY_LOG_LIMIT = 10_000


def normalize_kind(kind: str | int) -> str:
    text = str(kind).strip().lower()
    if text in NAMED_FAULTS or (text.isdigit() and len(text) == 3 and 400 <= int(text) <= 599):
        return text
    known = ", ".join(sorted(NAMED_FAULTS))
    raise ValueError(f"unknown fault kind {kind!r}; use an HTTP status or one of {known}")


@dataclass
class Fault:
    kind: str
    count: int = 1
    match: str = "any"
    skip: int = 0  # let this many matching requests through first
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path_kind: str) -> bool:
        if self.kind == "expire_token" and path_kind not in _AUTHED:
            return False  # there is no token to expire on a login
        return self.match in {"any", path_kind}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "match": self.match,
            "skip": self.skip,
            **self.params,
        }


class FaultQueue:
    """Faults apply, first queued first, to the next matching API requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self, kind: str | int, count: int = 1, match: str = "any", skip: int = 0, **params: Any
    ) -> Fault:
        """Queue a fault; `skip` (alias `after`) lets that many matching requests through."""
        if match not in MATCHES:
            raise ValueError(f"unknown match {match!r}; use one of {sorted(MATCHES)}")
        skip = int(params.pop("after", skip))  # after=N reads naturally: "after N requests"
        if count < 1 or skip < 0:
            raise ValueError("count must be >= 1 and skip >= 0")
        kind = normalize_kind(kind)
        allowed = _STATUS_PARAMS if kind.isdigit() else _PARAMS.get(kind, set())
        if unknown := set(params) - allowed:
            raise ValueError(f"fault {kind!r} takes no parameter(s) {sorted(unknown)}")
        fault = Fault(kind, count, match, skip, dict(params))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]

    def take(self, path_kind: str) -> Fault | None:
        """Consume one application of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path_kind):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return copy.deepcopy(fault)
        return None


class Stats:
    """Per-kind request counters and a log of the query bodies received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.faults: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.statuses.clear()
            self.faults.clear()
            self.queries.clear()

    def request(self, path_kind: str) -> None:
        with self._lock:
            self.counts[path_kind] += 1
            self.counts["total"] += 1

    def fault(self, fault: Fault, path_kind: str) -> None:
        with self._lock:
            self.faults.append({"kind": fault.kind, "path_kind": path_kind})

    def status(self, status: int) -> None:
        with self._lock:
            self.statuses[str(status)] += 1

    def query(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if len(self.queries) < QUERY_LOG_LIMIT:
                self.queries.append(entry)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                k: self.counts.get(k, 0)
                for k in ("login", "logout", "explore", "query", "other", "total")
            }
            out["statuses"] = dict(self.statuses)
            out["faults_applied"] = list(self.faults)
            out["queries"] = copy.deepcopy(self.queries)
            return out


@dataclass
class _Token:
    expires_at: float  # time.monotonic() deadline
    uses_left: int | None


class Auth:
    """Client credentials and bearer tokens. Never log or echo the secret or tokens."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_ttl: int = 3600,
        expire_token_after: int | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_ttl = token_ttl
        self.expire_token_after = expire_token_after
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # keep the secret out of reprs and tracebacks
        return f"Auth(client_id={self.client_id!r}, token_ttl={self.token_ttl})"

    def login(self, client_id: str | None, client_secret: str | None) -> dict[str, Any] | None:
        ok = (
            client_id is not None
            and client_secret is not None
            and secrets.compare_digest(client_id.encode(), self.client_id.encode())
            and secrets.compare_digest(client_secret.encode(), self._client_secret.encode())
        )
        if not ok:
            return None
        token = secrets.token_urlsafe(30)
        with self._lock:
            self._tokens[token] = _Token(time.monotonic() + self.token_ttl, self.expire_token_after)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "refresh_token": None,
        }

    def check(self, token: str | None) -> bool:
        """True if the token is valid; each successful check uses it once."""
        if not token:
            return False
        with self._lock:
            info = self._tokens.get(token)
            if info is None:
                return False
            if time.monotonic() >= info.expires_at or info.uses_left == 0:
                del self._tokens[token]
                return False
            if info.uses_left is not None:
                info.uses_left -= 1
            return True

    def echo(self, message: str, authorization: str) -> str:
        """``message`` with its ECHO_PLACEHOLDERS filled in: the hostile echo faults only."""
        if "{" not in message:
            return message
        scheme, _, token = authorization.strip().partition(" ")
        basic = f"{self.client_id}:{self._client_secret}".encode()
        values = {
            "{token}": token.strip() if scheme.lower() in {"token", "bearer"} else "",
            "{authorization}": authorization,
            "{client_secret}": self._client_secret,
            "{client_secret_json}": json.dumps(self._client_secret),
            "{login_form}": urlencode(
                {"client_id": self.client_id, "client_secret": self._client_secret}
            ),
            "{basic_auth}": base64.b64encode(basic).decode(),
        }
        for placeholder in ECHO_PLACEHOLDERS:
            message = message.replace(placeholder, values[placeholder])
        return message

    def logout(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def active_tokens(self) -> int:
        with self._lock:
            return len(self._tokens)
