"""Looker-shaped API errors (the `Error` and `ValidationError` schemas of API 4.0)."""

from __future__ import annotations

from typing import Any

# Real Looker points at cloud.google.com/looker/docs/r/err/...; looker-sdk downloads an error
# index from the internet when it sees that host. Keep the same path shape on a host that is
# clearly local, so nothing ever leaves the machine.
# What a statement timeout on Looker's MySQL-compatible internal database reports.
QUERY_TIMEOUT_MESSAGE = (
    "SQL Error: Query execution was interrupted, maximum statement execution time exceeded"
)
DOCS_BASE = "http://127.0.0.1/looker-simulator/docs/r/err/4.0"


def doc_url(status: int, method: str = "", path: str = "") -> str:
    """Return a documentation_url in Looker's shape (.../404/post/login) on a local host."""
    path = path.removeprefix("/api/4.0")
    suffix = f"/{method.lower()}{path}" if method else ""
    return f"{DOCS_BASE}/{status}{suffix}"


class LookerApiError(Exception):
    """An error the API answers with: status code plus a Looker error body."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self, method: str = "", path: str = "") -> dict[str, Any]:
        url = doc_url(self.status, method, path)
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            # looker-sdk's ErrorDetail requires documentation_url on every detail.
            out["errors"] = [{**e, "documentation_url": url} for e in self.errors]
        out["documentation_url"] = url
        return out


def not_found() -> LookerApiError:
    return LookerApiError(404, "Not found")


def validation_error(field: str, message: str, code: str = "invalid") -> LookerApiError:
    """422 with a ValidationError body naming the offending WriteQuery property."""
    return LookerApiError(
        422, "Validation Failed", errors=[{"field": field, "code": code, "message": message}]
    )


class LookerQueryError(Exception):
    """The query's SQL failed or timed out: Looker answers 200 [{"looker_error": message}]."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
