"""Looker API access: looker-sdk with retries, re-login and one-line errors.

looker-sdk has no retry or backoff and turns every HTTP error into a generic ``SDKError``
(and may fetch a documentation URL from the error body over the internet). The transport
below retries what is transient, then raises one of our typed errors, so looker-sdk only
ever sees successful responses.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import typing as t
import urllib.parse
from dataclasses import dataclass

import requests
from looker_sdk import methods40
from looker_sdk.rtl import api_settings, auth_session, auth_token, serialize, transport
from looker_sdk.rtl.requests_transport import NullAuth, RequestsTransport
from typing_extensions import override

from tap_looker_activity.errors import (
    LookerActivityError,
    LookerAuthError,
    LookerConfigError,
    LookerForbiddenError,
    LookerNotFoundError,
    LookerQueryError,
    LookerResponseError,
    LookerUnavailableError,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping

    from looker_sdk.sdk.api40 import models

logger = logging.getLogger("tap_looker_activity.looker_api")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_EXCEPTIONS: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry transient failures."""

    max_retries: int = 5
    backoff_factor: float = 1.0
    max_backoff: float = 120.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after:
            seconds = _parse_retry_after(retry_after)
            if seconds is not None:
                return min(max(seconds, 0.0), self.max_backoff)
        return min(self.backoff_factor * (2 ** (attempt - 1)), self.max_backoff)


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


class SessionRejectedError(LookerActivityError):
    """Looker answered 401 to an authenticated call: the token expired or was revoked."""


def _error_message(body: bytes) -> str:
    """Looker's own ``message`` (plus validation details) from an error body, if any."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(payload, dict):
        return ""
    message = str(payload.get("message") or "")
    details = [
        str(err.get("message") or err.get("field") or "")
        for err in payload.get("errors") or []
        if isinstance(err, dict)
    ]
    details = [d for d in details if d]
    return f"{message}: {'; '.join(details)}" if details else message


def _api_path(url: str) -> str:
    """The path part of a request URL, for messages (never the query string)."""
    return urllib.parse.urlsplit(url).path


class RetryingTransport(RequestsTransport):
    """A requests transport that retries transient failures and raises typed errors."""

    def __init__(
        self,
        settings: transport.PTransportSettings,
        session: requests.Session,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(settings, session)
        self.policy = policy
        self._sleep = sleep
        self.request_count = 0

    @override
    def request(
        self,
        method: transport.HttpMethod,
        path: str,
        query_params: MutableMapping[str, str] | None = None,
        body: bytes | None = None,
        authenticator: transport.TAuthenticator = None,
        transport_options: transport.TransportOptions | None = None,
    ) -> transport.Response:
        """Send one API call, retrying 429/5xx/network failures with backoff."""
        timeout = self.settings.timeout
        if transport_options and transport_options.get("timeout"):
            timeout = transport_options["timeout"]
        api_path = _api_path(path)
        attempt = 0
        while True:
            # Re-read the token every attempt: a retry may follow a re-login.
            headers: dict[str, str] = {}
            if authenticator:
                headers.update(authenticator(transport_options or {}))
            if transport_options and transport_options.get("headers"):
                headers.update(transport_options["headers"])
            reason, retry_after = "", None
            try:
                self.request_count += 1
                resp = self.session.request(
                    method.name,
                    path,
                    auth=NullAuth(),
                    params=query_params,
                    data=body,
                    headers=headers,
                    timeout=timeout,
                )
            except TRANSIENT_EXCEPTIONS as exc:
                reason = _describe_network_error(exc, timeout)
            else:
                if resp.ok:
                    return self._to_sdk_response(resp)
                if resp.status_code not in RETRYABLE_STATUSES:
                    raise self._http_error(method, api_path, resp, authenticated=authenticator)
                reason = f"HTTP {resp.status_code}"
                retry_after = resp.headers.get("Retry-After")
            attempt += 1
            if attempt > self.policy.max_retries:
                msg = (
                    f"Looker API {method.name} {api_path} failed after "
                    f"{self.policy.max_retries} retries: {reason}"
                )
                raise LookerUnavailableError(msg)
            delay = self.policy.delay(attempt, retry_after)
            logger.warning(
                "Looker API %s %s: %s; retry %d/%d in %.1fs",
                method.name,
                api_path,
                reason,
                attempt,
                self.policy.max_retries,
                delay,
            )
            self._sleep(delay)

    @staticmethod
    def _to_sdk_response(resp: requests.Response) -> transport.Response:
        ret = transport.Response(
            ok=True,
            value=resp.content,
            response_mode=transport.response_mode(resp.headers.get("content-type")),
        )
        ret.encoding = requests.utils.get_encoding_from_headers(resp.headers) or "utf-8"
        return ret

    @staticmethod
    def _http_error(
        method: transport.HttpMethod,
        api_path: str,
        resp: requests.Response,
        *,
        authenticated: object,
    ) -> LookerActivityError:
        status = resp.status_code
        detail = _error_message(resp.content)
        where = f"Looker API {method.name} {api_path}"
        suffix = f": {detail}" if detail else ""
        if api_path.endswith("/login"):
            # Looker answers 404 (not 401) to unknown client credentials.
            return LookerAuthError(
                f"Looker rejected the API credentials (HTTP {status} from {api_path}); "
                "check client_id and client_secret"
            )
        if status == 401 and authenticated:  # noqa: PLR2004
            return SessionRejectedError(f"{where} answered 401{suffix}")
        if status == 403:  # noqa: PLR2004
            return LookerForbiddenError(
                f"{where} answered 403 Forbidden{suffix}; the API user needs access to "
                "the System Activity model (see_system_activity)"
            )
        if status == 404:  # noqa: PLR2004
            return LookerNotFoundError(f"{where} answered 404 Not Found{suffix}")
        if status in {400, 422}:
            return LookerQueryError(f"{where} rejected the request (HTTP {status}){suffix}")
        return LookerResponseError(f"{where} answered HTTP {status}{suffix}")


def _describe_network_error(exc: Exception, timeout: object) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout}s"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped while reading the response"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return type(exc).__name__


class TapApiSettings(api_settings.ApiSettings):
    """looker-sdk settings: the tap's config first, then LOOKERSDK_* env vars / looker.ini."""

    def __init__(self, overrides: Mapping[str, str], ini_file: str = "looker.ini") -> None:
        self._overrides = {k: v for k, v in overrides.items() if v not in {None, ""}}
        super().__init__(filename=ini_file, env_prefix="LOOKERSDK")
        self.base_url = self.base_url.rstrip("/")

    @override
    def read_config(self) -> api_settings.SettingsConfig:
        """Merge looker.ini, LOOKERSDK_* env vars and the tap's own settings."""
        data = super().read_config()
        data.update(self._overrides)  # type: ignore[typeddict-item]
        return data


@dataclass(frozen=True)
class ConnectionSettings:
    """What the tap needs to reach Looker; secrets stay in here, never in messages."""

    base_url: str | None
    client_id: str | None
    client_secret: str | None
    verify_ssl: bool = True
    timeout: int = 120

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> ConnectionSettings:
        """Read the connection part of the tap config."""
        return cls(
            base_url=config.get("base_url"),
            client_id=config.get("client_id"),
            client_secret=config.get("client_secret"),
            verify_ssl=bool(config.get("verify_ssl", True)),
            timeout=int(config.get("timeout", 120)),
        )


class LookerClient:
    """The few Looker API 4.0 calls the tap makes."""

    def __init__(
        self,
        connection: ConnectionSettings,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        settings = TapApiSettings(
            {
                "base_url": connection.base_url or "",
                "client_id": connection.client_id or "",
                "client_secret": connection.client_secret or "",
                "verify_ssl": "true" if connection.verify_ssl else "false",
                "timeout": str(connection.timeout),
            }
        )
        _check_settings(settings)
        self.base_url = settings.base_url
        self.transport = RetryingTransport(settings, requests.Session(), self.policy, sleep)
        self.sdk = methods40.Looker40SDK(
            auth_session.AuthSession(settings, self.transport, serialize.deserialize40, "4.0"),
            serialize.deserialize40,
            serialize.serialize40,
            self.transport,
            "4.0",
        )
        self.query_count = 0

    def _call(self, fn: Callable[[], t.Any]) -> t.Any:  # noqa: ANN401
        """Run an SDK call; on a rejected session log in again once and repeat it."""
        try:
            try:
                return fn()
            except SessionRejectedError:
                logger.info("Looker session was rejected; logging in again")
                self.sdk.auth.token = auth_token.AuthToken()
                return fn()
        except serialize.DeserializeError:
            msg = (
                f"{self.base_url} answered with something that is not Looker API JSON; "
                "is base_url the Looker API URL (e.g. https://company.looker.com:19999)?"
            )
            raise LookerResponseError(msg) from None

    def get_explore(self, model: str, explore: str) -> models.LookmlModelExplore:
        """LookML metadata of one explore (its dimensions, measures and types)."""
        return t.cast(
            "models.LookmlModelExplore",
            self._call(lambda: self.sdk.lookml_model_explore(model, explore)),
        )

    def run_query(self, query: models.WriteQuery) -> list[dict[str, t.Any]]:
        """Run an inline query and return its rows, retrying an unreadable body."""
        attempt = 0
        while True:
            self.query_count += 1
            body = self._call(
                lambda: self.sdk.run_inline_query("json", query, apply_formatting=False)
            )
            try:
                return _decode_rows(body)
            except _UnreadableBodyError as exc:
                if exc.permanent:
                    raise LookerResponseError(str(exc)) from None
                attempt += 1
                if attempt > self.policy.max_retries:
                    msg = (
                        f"Looker API POST /api/4.0/queries/run/json failed after "
                        f"{self.policy.max_retries} retries: {exc}"
                    )
                    raise LookerResponseError(msg) from None
                delay = self.policy.delay(attempt)
                logger.warning(
                    "Looker query result was unreadable (%s); retry %d/%d in %.1fs",
                    exc,
                    attempt,
                    self.policy.max_retries,
                    delay,
                )
                self._sleep(delay)

    def logout(self) -> None:
        """End the API session; a failure here must not fail a finished extract."""
        try:
            if self.sdk.auth.is_authenticated:
                self.transport.policy = RetryPolicy(max_retries=0)
                self.sdk.auth.logout()
        except (LookerActivityError, requests.RequestException) as exc:
            logger.info("Looker logout failed (ignored): %s", exc)
        finally:
            self.transport.session.close()


class _UnreadableBodyError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


_LEADING_HTML = re.compile(r"\s*<")


def _decode_rows(body: str | bytes) -> list[dict[str, t.Any]]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if _LEADING_HTML.match(text):  # not text.lstrip(): that copies the whole page
        msg = (
            "the server answered with HTML, not Looker API JSON; "
            "is base_url the Looker API URL (e.g. https://company.looker.com:19999)?"
        )
        raise _UnreadableBodyError(msg, permanent=True)
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"invalid JSON in query result ({exc.msg} at char {exc.pos})"
        raise _UnreadableBodyError(msg, permanent=False) from None
    if not isinstance(rows, list):
        msg = f"query result is a JSON {type(rows).__name__}, not an array of rows"
        raise _UnreadableBodyError(msg, permanent=True)
    return rows


def _check_settings(settings: api_settings.ApiSettings) -> None:
    cfg = settings.read_config()
    missing = [
        name
        for name, value in (
            ("base_url", settings.base_url),
            ("client_id", cfg.get("client_id")),
            ("client_secret", cfg.get("client_secret")),
        )
        if not value
    ]
    if missing:
        msg = (
            f"missing Looker setting(s): {', '.join(missing)} "
            "(set them in the tap config, or as LOOKERSDK_* env vars / looker.ini)"
        )
        raise LookerConfigError(msg)
    parts = urllib.parse.urlsplit(settings.base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        msg = f"base_url must be an http(s) URL like https://company.looker.com:19999, got {settings.base_url!r}"  # noqa: E501
        raise LookerConfigError(msg)
