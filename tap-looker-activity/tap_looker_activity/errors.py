"""Errors the tap reports to its user as one line, without a traceback."""

from __future__ import annotations


class LookerActivityError(Exception):
    """A failure the user can act on; its message is the whole explanation."""

    exit_code = 1


class LookerConfigError(LookerActivityError):
    """Settings (or the state or catalog file) are missing or invalid: exit code 2."""

    exit_code = 2


class LookerCredentialsMissingError(LookerConfigError):
    """base_url, client_id or client_secret is not in the tap's own config (exit code 2)."""

    exit_code = 2


class LookerAuthError(LookerActivityError):
    """Looker rejected the API credentials or the session."""


class LookerForbiddenError(LookerAuthError):
    """The API user may not see this model or explore."""


class LookerNotFoundError(LookerActivityError):
    """A model, explore or path does not exist (or is not visible to this API user)."""


class LookerQueryError(LookerActivityError):
    """Looker refused a query (unknown field, bad filter, ...)."""


class LookerUnavailableError(LookerActivityError):
    """Looker could not be reached or kept failing after every retry."""


class LookerResponseError(LookerActivityError):
    """Looker answered, but not with what the Looker API returns."""


class IncompleteReadError(LookerResponseError):
    """Looker counts more rows in a window than the tap read: the bookmark must not move."""


class QueryBudgetReachedError(LookerActivityError):
    """``max_queries_per_run`` query calls made: the run stops cleanly (exit 0).

    What was delivered is kept, each bookmark at its last complete page.
    """


class LookerTransientError(LookerActivityError):
    """A failure that may pass: retried with backoff, then reported as unavailable."""

    def __init__(self, where: str, reason: str, *, retry_after: str | None = None) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where  # "Looker API POST /api/4.0/queries/run/json"
        self.reason = reason  # "HTTP 503", "timed out after 120s", ...
        self.retry_after = retry_after  # the server's Retry-After, when it sent one


def in_context(exc: LookerActivityError, where: str) -> LookerActivityError:
    """The same kind of error, its message prefixed with where it happened.

    A transient error that reaches this point has used up its retries: it becomes a plain one.
    """
    kind = LookerActivityError if isinstance(exc, LookerTransientError) else type(exc)
    return kind(f"{where}{exc}")
