"""The Looker API client: the few API 4.0 calls the tap makes, with one retry layer.

looker-sdk has no retry or backoff, turns every HTTP error into a generic ``SDKError`` and may
fetch a documentation URL named in an error body. The tap hands looker-sdk's unchanged
``RequestsTransport`` a ``requests.Session`` (``LookerHTTPSession``) that raises a typed error
for every unsuccessful answer, so looker-sdk only ever sees successful responses. Retries
happen in one place, ``LookerClient._call``: a whole API call (login included) is repeated on
transient failures, with exponential backoff and Retry-After honoured.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import enum
import io
import json
import logging
import re
import time
import typing as t
import urllib.parse
from dataclasses import dataclass

import requests
import urllib3
from looker_sdk import methods40
from looker_sdk.rtl import api_settings, auth_session, auth_token, serialize
from looker_sdk.rtl.requests_transport import RequestsTransport
from typing_extensions import override

from tap_looker_activity.errors import (
    LookerActivityError,
    LookerAuthError,
    LookerConfigError,
    LookerCredentialsMissingError,
    LookerForbiddenError,
    LookerNotFoundError,
    LookerQueryError,
    LookerResponseError,
    LookerTransientError,
    LookerUnavailableError,
    QueryBudgetReachedError,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from looker_sdk.sdk.api40 import models

logger = logging.getLogger("tap_looker_activity.client")

API_PATH = "/api/4.0"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Looker answers a failed or timed-out query with HTTP 200 and [{"looker_error": "..."}].
# These messages describe a failure that a later attempt may not have.
TRANSIENT_QUERY_ERRORS = re.compile(
    r"time(d)?[ -]?out|interrupted|cancel|deadlock|too many|temporar|try again|"
    r"connection (reset|refused|closed)|lost connection|unavailable|queue",
    re.IGNORECASE,
)
_MESSAGE_LIMIT = 300
_READ_SIZE = 1 << 16


class Redactor:
    """Removes known secrets (client secret, access tokens) from text bound for logs.

    A server or proxy that echoes a credential may quote it as sent or re-encoded, so each
    secret is also removed percent-encoded (the login form, a URL), form-encoded, as inside
    a JSON string literal, and, for the client credentials, as HTTP Basic (base64 of
    ``id:secret``). Matching ignores case (``%2f`` and ``%2F``).
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Never show ``secret``, in any of its encodings (ignored when too short to be one)."""
        if not secret or len(secret) < 4:  # noqa: PLR2004
            return
        forms = {
            secret,
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote_plus(secret),
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
        }
        self._add_forms(forms)

    def add_credentials(self, client_id: str | None, client_secret: str | None) -> None:
        """Never show the client secret, nor ``client_id:client_secret`` as HTTP Basic."""
        self.add(client_secret)
        if client_secret and len(client_secret) >= 4:  # noqa: PLR2004
            pair = f"{client_id or ''}:{client_secret}".encode()
            self._add_forms(
                {
                    base64.b64encode(pair).decode().rstrip("="),
                    base64.urlsafe_b64encode(pair).decode().rstrip("="),
                }
            )

    def _add_forms(self, forms: set[str]) -> None:
        new = forms - self._secrets
        if new:
            self._secrets |= new
            # Longest first: a secret inside a longer form never leaves that form half-shown.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)

    def __call__(self, text: str) -> str:
        """``text`` with every known secret replaced."""
        if self._pattern is None:
            return text
        return self._pattern.sub("[redacted]", text)


class RedactingFilter(logging.Filter):
    """A log filter that redacts secrets from every record's final message."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


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


class SessionRejectedError(LookerAuthError):
    """Looker answered 401 to an authenticated call: the token expired or was revoked."""


def looker_message(body: bytes, redact: Callable[[str], str] = str) -> str:
    """Looker's own ``message`` (plus validation details) from an error body, if any.

    Redacted before it is cut to length, so no secret is left half-shown at the cut.
    """
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
    text = f"{message}: {'; '.join(details)}" if details else message
    return redact(text)[:_MESSAGE_LIMIT]


def _describe_network_error(exc: Exception, timeout: float) -> str:
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.HTTPError):
        return "connection dropped while reading the response"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return type(exc).__name__


class LookerHTTPSession(requests.Session):
    """A session that raises a typed error for every answer that is not a success.

    ``timeout`` bounds the whole request, body included: a server that trickles its answer
    cannot hold the run for longer than that.
    """

    def __init__(self, timeout: float, redact: Redactor) -> None:
        super().__init__()
        self.deadline = timeout
        self._redact = redact
        # Looker's clock at its first answer (the HTTP Date header): the end of every window
        # this run reads, so rows written during the run (the tap's own queries) stay out.
        self.first_server_date: dt.datetime | None = None

    @override
    def request(
        self,
        method: str | bytes,
        url: str | bytes,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> requests.Response:
        method_name = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        where = f"Looker API {method_name} {urllib.parse.urlsplit(url_text).path}"
        # requests prefers REQUESTS_CA_BUNDLE over a session's verify=False: say it per request.
        if self.verify is False:
            kwargs["verify"] = False
        kwargs["stream"] = True
        self._redact_authorization(kwargs.get("headers"))
        try:
            response = super().request(method_name, url_text, *args, **kwargs)
            self._read_within_deadline(response)
        except requests.exceptions.SSLError as exc:
            msg = (
                f"{where}: TLS/certificate problem ({self._tls_reason(exc)}); check "
                "base_url, the server's certificate, verify_ssl and REQUESTS_CA_BUNDLE"
            )
            raise LookerConfigError(self._redact(msg)) from None
        except requests.exceptions.InvalidURL as exc:
            msg = f"base_url is not a usable URL ({exc})"
            raise LookerConfigError(self._redact(msg)) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise LookerTransientError(where, _describe_network_error(exc, self.deadline)) from None
        if self.first_server_date is None:
            self.first_server_date = _http_date(response.headers.get("Date"))
        if not response.ok:
            raise self._http_error(where, response)
        if where.endswith("/login"):
            self._redact_issued_token(response)
        return response

    def _redact_authorization(self, headers: Mapping[str, str | bytes] | None) -> None:
        """Never show the credential of an Authorization header this session sends."""
        value = (headers or {}).get("Authorization") or self.headers.get("Authorization")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value:
            self._redact.add(value.strip().partition(" ")[2].strip() or value.strip())

    def _redact_issued_token(self, response: requests.Response) -> None:
        """Never show an access token Looker issued (at the first login and every later one)."""
        try:
            issued = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return
        if isinstance(issued, dict):
            for key in ("access_token", "refresh_token"):
                if isinstance(issued.get(key), str):
                    self._redact.add(issued[key])

    def _read_within_deadline(self, response: requests.Response) -> None:
        """Read the whole body by the deadline, a socket read at a time."""
        deadline = time.monotonic() + self.deadline
        chunks = []
        while chunk := response.raw.read1(_READ_SIZE, decode_content=True):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                response.close()
                raise requests.Timeout
        response.raw = io.BytesIO(b"".join(chunks))  # what requests reads .content from

    @staticmethod
    def _tls_reason(exc: requests.exceptions.SSLError) -> str:
        text = str(exc)
        match = re.search(r"\[SSL[^\]]*\][^'\")]*|certificate verify failed[^'\")]*", text)
        return (match.group(0) if match else "TLS handshake failed").strip()[:_MESSAGE_LIMIT]

    def _http_error(  # noqa: PLR0911 - one answer per status class
        self, where: str, response: requests.Response
    ) -> LookerActivityError:
        status = response.status_code
        detail = looker_message(response.content, self._redact)
        suffix = f": {detail}" if detail else ""
        if status in RETRYABLE_STATUSES:
            return LookerTransientError(
                where, f"HTTP {status}", retry_after=response.headers.get("Retry-After")
            )
        if where.endswith("/login"):
            return LoginRejectedError(f"{where}: HTTP {status}")
        if status == 401:  # noqa: PLR2004
            return SessionRejectedError(f"{where} answered 401{suffix}")
        if status == 403:  # noqa: PLR2004
            need = _permission_needed(where, response.request.body)
            return LookerForbiddenError(f"{where} answered 403 Forbidden{suffix}; {need}")
        if status == 404:  # noqa: PLR2004
            return LookerNotFoundError(f"{where} answered 404 Not Found{suffix}")
        if status in {400, 422}:
            return LookerQueryError(f"{where} rejected the request (HTTP {status}){suffix}")
        return LookerResponseError(f"{where} answered HTTP {status}{suffix}")


_SYSTEM_ACTIVITY_MODEL = "system__activity"
_EXPLORE_PATH = re.compile(rf"{re.escape(API_PATH)}/lookml_models/([^/]+)/explores/")


def _query_model(body: object) -> str | None:
    """The ``model`` of an inline query's JSON body (None if it cannot be read)."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes):
        return None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    model = payload.get("model") if isinstance(payload, dict) else None
    return model if isinstance(model, str) else None


def _permission_needed(where: str, body: object = None) -> str:
    """What a 403 to ``where`` ("Looker API METHOD /api/4.0/...") says the API user lacks.

    Looker's permissions: System Activity explores and queries need ``see_system_activity``;
    another model's need ``access_data`` on that model; ``GET /dashboards/search`` lists
    user-defined dashboards, which need ``see_user_dashboards`` (with ``see_looks`` and
    ``access_data``) on their models and View access to their folders; ``GET /user`` (the
    caller's own user) is open to every authenticated API user, so a 403 there is about the
    user or its API keys, not a permission.
    """
    path = where.rpartition(" ")[2]
    explore = _EXPLORE_PATH.match(path)
    if explore:
        model: str | None = urllib.parse.unquote(explore.group(1))
    elif path.startswith(f"{API_PATH}/queries/run/"):
        model = _query_model(body)
    else:
        model = None
    if model == _SYSTEM_ACTIVITY_MODEL:
        return "the API user needs access to the System Activity model (see_system_activity)"
    if model is not None:
        return f"the API user needs the access_data permission on the model {model}"
    if path.startswith(f"{API_PATH}/queries/"):
        return (
            "the API user needs see_system_activity (System Activity) or access_data (any "
            "other model) on the query's model"
        )
    if path == f"{API_PATH}/user":
        return (
            "every active API user may read its own user, so the API user is disabled or its "
            "API keys may not call the API (not a missing permission)"
        )
    if path == f"{API_PATH}/dashboards/search":
        return (
            "the API user needs see_user_dashboards (with see_looks and access_data) on the "
            "dashboards' models and View access to their folders"
        )
    return "the API user lacks a Looker permission this call needs"


def _http_date(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as an aware UTC time (None if absent or unreadable)."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class LoginRejectedError(LookerAuthError):
    """Looker refused the login call (unknown credentials, or not a Looker login path)."""


class TapApiSettings(api_settings.ApiSettings):
    """looker-sdk settings: the tap's config first, then LOOKERSDK_* env vars / looker.ini."""

    def __init__(self, overrides: Mapping[str, str], ini_file: str = "looker.ini") -> None:
        self._overrides = {k: v for k, v in overrides.items() if v not in {None, ""}}
        try:
            super().__init__(filename=ini_file, env_prefix="LOOKERSDK")
        except TypeError:  # looker-sdk's verdict on a verify_ssl it cannot read as a boolean
            msg = "verify_ssl from LOOKERSDK_VERIFY_SSL / looker.ini must be true or false"
            raise LookerConfigError(msg) from None
        except ValueError:
            msg = "timeout from LOOKERSDK_TIMEOUT / looker.ini must be a whole number of seconds"
            raise LookerConfigError(msg) from None
        self.base_url = self.base_url.rstrip("/")

    @override
    def read_config(self) -> api_settings.SettingsConfig:
        """Merge looker.ini, LOOKERSDK_* env vars and the tap's own settings."""
        data = super().read_config()
        data.update(self._overrides)  # type: ignore[typeddict-item]
        return data


MAX_TIMEOUT = 3600


CREDENTIAL_SETTINGS = ("base_url", "client_id", "client_secret")


@dataclass(frozen=True)
class ConnectionSettings:
    """What the tap needs to reach Looker.

    ``base_url``, ``client_id`` and ``client_secret`` come from the tap's own config only,
    unless ``lookersdk_fallback``: then unset ones fall back to looker-sdk's sources
    (``LOOKERSDK_*`` env vars, ``looker.ini``), which another Looker's deployment may have
    set. Unset ``verify_ssl`` and ``timeout`` always fall back to them.
    """

    base_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    verify_ssl: bool | None = None
    timeout: int | None = None
    lookersdk_fallback: bool = False

    def sdk_settings(self) -> TapApiSettings:
        """looker-sdk settings, validated."""
        if not self.lookersdk_fallback:
            missing = [name for name in CREDENTIAL_SETTINGS if not getattr(self, name)]
            if missing:
                msg = (
                    f"missing Looker setting(s): {', '.join(missing)}, in this tap's own "
                    "config (LOOKERSDK_* env vars and looker.ini, maybe another Looker's, are "
                    "not read unless lookersdk_fallback is true)"
                )
                raise LookerCredentialsMissingError(msg)
        overrides = {
            "base_url": self.base_url or "",
            "client_id": self.client_id or "",
            "client_secret": self.client_secret or "",
            "verify_ssl": "" if self.verify_ssl is None else str(self.verify_ssl).lower(),
            "timeout": "" if self.timeout is None else str(self.timeout),
        }
        settings = TapApiSettings(overrides)
        _check_settings(settings)
        return settings


QuotaClass = t.Literal["query", "admin"]


@dataclass
class CallCounts:
    """API calls by Looker's quota class.

    Looker's API 4.0 spec tags each endpoint (``x-looker-activity-type``): ``db_query`` ones
    are query-based calls, ``non_query`` ones administrative; login is neither. Retries are
    calls too.
    """

    query: int = 0
    admin: int = 0

    def __add__(self, other: CallCounts) -> CallCounts:
        """Both counts added."""
        return CallCounts(self.query + other.query, self.admin + other.admin)

    def __sub__(self, other: CallCounts) -> CallCounts:
        """The calls made since ``other`` was taken."""
        return CallCounts(self.query - other.query, self.admin - other.admin)


class LookerClient:
    """The Looker API 4.0 calls the tap makes: explore metadata, inline queries, dashboards."""

    def __init__(
        self,
        connection: ConnectionSettings,
        policy: RetryPolicy | None = None,
        *,
        redact: Redactor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        query_budget: int | None = None,
    ) -> None:
        """``query_budget``: the query-based calls this client may make (None: no limit)."""
        self.policy = policy or RetryPolicy()
        self.query_budget = query_budget
        self._sleep = sleep
        self.redact = redact or Redactor()
        settings = connection.sdk_settings()
        config = settings.read_config()
        self.redact.add_credentials(config.get("client_id"), config.get("client_secret"))
        self.base_url = settings.base_url
        self.session = LookerHTTPSession(settings.timeout, self.redact)
        transport = RequestsTransport(settings, self.session)
        self.sdk = methods40.Looker40SDK(
            auth_session.AuthSession(settings, transport, serialize.deserialize40, "4.0"),
            serialize.deserialize40,
            serialize.serialize40,
            transport,
            "4.0",
        )
        self.calls = CallCounts()  # every call this client made, by quota class
        self._me: str | None = None
        self._measures: dict[tuple[str, str], list[dict[str, t.Any]]] = {}

    def _call(self, fn: Callable[[], t.Any], quota: QuotaClass = "admin") -> t.Any:  # noqa: ANN401
        """Run one SDK call: retry transient failures, log in again once on a 401.

        Each attempt is counted in ``calls`` under ``quota``.
        """
        attempt, relogged = 0, False
        while True:
            if quota == "query":
                self._check_budget()
                self.calls.query += 1
            else:
                self.calls.admin += 1
            try:
                result = fn()
            except LookerTransientError as exc:
                attempt += 1
                if attempt > self.policy.max_retries:
                    msg = (
                        f"{exc.where} failed after {self.policy.max_retries} retries: {exc.reason}"
                    )
                    raise LookerUnavailableError(self.redact(msg)) from None
                delay = self.policy.delay(attempt, exc.retry_after)
                logger.warning(
                    "%s: %s; retry %d/%d in %.1fs",
                    exc.where,
                    exc.reason,
                    attempt,
                    self.policy.max_retries,
                    delay,
                )
                self._sleep(delay)
                continue
            except SessionRejectedError:
                if relogged:
                    raise
                relogged = True
                logger.info("Looker session was rejected; logging in again")
                self.sdk.auth.token = auth_token.AuthToken()
                continue
            except LoginRejectedError:
                raise self._login_error() from None
            except serialize.DeserializeError:
                raise self._not_looker_error() from None
            return result

    def _check_budget(self) -> None:
        """Refuse a query-based call beyond ``query_budget`` (a retry is a call too)."""
        if self.query_budget is not None and self.calls.query >= self.query_budget:
            msg = f"the query budget of this run is spent ({self.query_budget} query calls)"
            raise QueryBudgetReachedError(msg)

    def _login_error(self) -> LookerActivityError:
        """Looker answers 404 to unknown credentials, and so does a wrong base path."""
        try:
            response = self.session.get(f"{self.base_url}{API_PATH}/versions")
            versions = response.json()
            looks_like_looker = isinstance(versions, dict) and "supported_versions" in versions
        except (LookerActivityError, ValueError):
            looks_like_looker = False
        if looks_like_looker:
            return LookerAuthError(
                "Looker rejected the API credentials; check client_id and client_secret"
            )
        return self._not_looker_error()

    def _not_looker_error(self) -> LookerActivityError:
        return LookerConfigError(
            f"base_url {self.base_url} does not look like a Looker API ({API_PATH}/versions "
            "is not Looker's): use the API host, e.g. https://company.looker.com:19999 or "
            "https://company.cloud.looker.com, without /api/4.0"
        )

    def api_user_id(self) -> str:
        """The id of the Looker user the tap runs as (``GET /user``), once per run."""
        if self._me is None:
            user = self._call(lambda: self.sdk.me(fields="id"))
            self._me = str(getattr(user, "id", "") or "")
        return self._me

    def get_explore(self, model: str, explore: str) -> list[dict[str, t.Any]]:
        """The dimensions of one explore: name, type, view (LookML metadata).

        The same call brings the explore's measures, kept for ``count_measure``.
        """
        result = self._call(
            lambda: self.sdk.lookml_model_explore(
                model,
                explore,
                fields="name,fields(dimensions(name,type,view),measures(name,type,view))",
            ),
        )
        fields = getattr(result, "fields", None)
        dimensions = getattr(fields, "dimensions", None) if fields else None
        if not dimensions:
            raise self._not_looker_error()
        self._measures[model, explore] = [
            {"name": m.name, "type": m.type, "view": m.view}
            for m in getattr(fields, "measures", None) or ()
        ]
        return [{"name": d.name, "type": d.type, "view": d.view} for d in dimensions]

    def lookml_models(self, offset: int, limit: int) -> list[dict[str, t.Any]]:
        """One page of the LookML models the API user can see: name and explore names.

        Looker's built-in models (System Activity) are left out, as Looker's default
        (``include_internal``) does.
        """
        result = self._call(
            lambda: self.sdk.all_lookml_models(
                fields="name,explores(name)", limit=limit, offset=offset
            )
        )
        return [
            {
                "name": model.name,
                "explores": [e.name for e in model.explores or () if e.name],
            }
            for model in result or ()
        ]

    def explore_catalog(self, model: str, explore: str) -> list[dict[str, t.Any]]:
        """Every field of one explore as LookML declares it (one metadata call)."""
        attributes = "name,view,category,type,hidden,label,description,tags,times_used"
        kinds = ("dimensions", "measures", "filters", "parameters")
        result = self._call(
            lambda: self.sdk.lookml_model_explore(
                model,
                explore,
                fields="name,fields(" + ",".join(f"{k}({attributes})" for k in kinds) + ")",
            ),
        )
        fields = getattr(result, "fields", None)
        return [
            {name: _plain(getattr(field, name, None)) for name in attributes.split(",")}
            for kind in kinds
            for field in (getattr(fields, kind, None) or ())
        ]

    def measures(self, model: str, explore: str) -> list[dict[str, t.Any]]:
        """The explore's measures (name, type, view), from metadata already read."""
        return list(self._measures.get((model, explore), ()))

    def count_measure(self, model: str, explore: str, view: str) -> str | None:
        """The explore's ``type: count`` measure of ``view``, from metadata already read.

        A LookML count measure counts the distinct primary keys of its view, whatever the
        joins: Looker's own row count of that view. None when the explore has none (or its
        metadata was not read).
        """
        for measure in self._measures.get((model, explore), ()):
            if measure["type"] == "count" and measure["view"] == view:
                return str(measure["name"])
        return None

    def server_time(self) -> dt.datetime | None:
        """Looker's clock at its first answer this run (its Date header), None if not sent."""
        return self.session.first_server_date

    def run_query(self, query: models.WriteQuery) -> list[dict[str, t.Any]]:
        """Run an inline query (never from Looker's cache) and return its rows."""
        return t.cast(
            "list[dict[str, t.Any]]",
            self._call(
                lambda: decode_rows(
                    self.sdk.run_inline_query("json", query, apply_formatting=False, cache=False),
                    f"Looker API POST {API_PATH}/queries/run/json",
                    self.redact,
                ),
                quota="query",
            ),
        )

    def search_dashboards(
        self, fields: Iterable[str], *, deleted: bool, limit: int, offset: int
    ) -> list[dict[str, t.Any]]:
        """One page of user-defined dashboards, by id (``deleted`` picks the deleted ones)."""
        params = {
            "fields": ",".join(fields),
            "deleted": str(deleted).lower(),
            "limit": str(limit),
            "offset": str(offset),
            "sorts": "id",
        }
        return t.cast(
            "list[dict[str, t.Any]]",
            self._call(
                lambda: decode_rows(
                    self.sdk.get(
                        path="/dashboards/search",
                        structure=t.Union[str, bytes],  # type: ignore[arg-type] # noqa: UP007
                        query_params=t.cast("t.Any", params),
                    ),
                    f"Looker API GET {API_PATH}/dashboards/search",
                    self.redact,
                ),
            ),
        )


def _plain(value: object) -> object:
    """looker-sdk's enums (``Category.dimension``) as the JSON value Looker sent."""
    return value.value if isinstance(value, enum.Enum) else value


_LEADING_HTML = re.compile(r"\s*<")


def decode_rows(
    body: str | bytes, where: str, redact: Callable[[str], str] = str
) -> list[dict[str, t.Any]]:
    """A JSON array of objects from a response body.

    Raises LookerQueryError for Looker's ``looker_error`` answer (LookerTransientError when
    the message says the failure may pass), LookerTransientError for a body cut short.
    The ``looker_error`` message is redacted before it is cut to length.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if _LEADING_HTML.match(text):  # not text.lstrip(): that copies the whole page
        msg = (
            "the server answered with HTML, not Looker API JSON; "
            "is base_url the Looker API URL (e.g. https://company.looker.com:19999)?"
        )
        raise LookerResponseError(msg)
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON in the answer ({exc.msg} at char {exc.pos})"
        raise LookerTransientError(where, reason) from None
    if isinstance(rows, dict) and "looker_error" in rows:
        rows = [rows]
    if not isinstance(rows, list):
        msg = f"Looker answered a JSON {type(rows).__name__}, not an array of rows"
        raise LookerResponseError(msg)
    for row in (rows[0], rows[-1]) if rows else ():
        if isinstance(row, dict) and "looker_error" in row:
            message = redact(str(row["looker_error"]))[:_MESSAGE_LIMIT]
            if TRANSIENT_QUERY_ERRORS.search(message):
                raise LookerTransientError(where, f"the query failed in Looker: {message}")
            msg = f"the query failed in Looker: {message}"
            raise LookerQueryError(msg)
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
        msg = (
            "base_url must be an http(s) URL like https://company.looker.com:19999, "
            f"got {settings.base_url!r}"
        )
        raise LookerConfigError(msg)
    if re.search(r"/api(/\d[\d.]*)?/?$", parts.path):
        msg = (
            f"base_url must be the Looker host without the API path, e.g. "
            f"{parts.scheme}://{parts.netloc} (not {settings.base_url})"
        )
        raise LookerConfigError(msg)
    if not 1 <= settings.timeout <= MAX_TIMEOUT:
        msg = f"timeout must be between 1 and {MAX_TIMEOUT} seconds, got {settings.timeout}"
        raise LookerConfigError(msg)
