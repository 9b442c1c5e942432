"""TEST-ONLY fake GCE metadata server: hands out a dummy OAuth access token.

Real behaviour restored: "the process finds Application Default Credentials". On GCE /
Cloud Run / Composer, ``google.auth.default()`` gets a token from the metadata server.
Pointing ``GCE_METADATA_HOST`` / ``GCE_METADATA_IP`` at this server gives every Google
client (z3-target-bigquery's BigQuery client included) a bearer token that the emulators
ignore, WITHOUT touching the client process: no PYTHONPATH, no patched venv. That matters
because Meltano strips ``PYTHONPATH`` from plugin environments, so the sitecustomize shim
cannot reach a target started by ``meltano run``; environment variables such as
``GCE_METADATA_HOST`` are passed through.

Requirements on the client side (tests/harness/emulators.py sets them):
- ``GCE_METADATA_HOST=127.0.0.1:P`` and ``GCE_METADATA_IP=127.0.0.1:P``;
- ``NO_GCE_CHECK`` must NOT be ``true`` (google-auth compares the lowercase string; the
  often-quoted ``NO_GCE_CHECK=True`` is a no-op);
- no ``GOOGLE_APPLICATION_CREDENTIALS`` and an empty ``CLOUDSDK_CONFIG`` so no real ADC
  file is found first.

Standard library only: runs under any Python.
Usage: python fake_gce_metadata.py --host 127.0.0.1 --port P [--project test-project]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAKE_TOKEN = "tap-looker-harness-fake-token"  # noqa: S105 - not a secret


def make_handler(project: str) -> type[BaseHTTPRequestHandler]:
    email = f"harness@{project}.iam.gserviceaccount.com"
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    root = "/computeMetadata/v1/"
    routes: dict[str, tuple[str, object]] = {
        "/": ("text/plain", ""),
        root: ("text/plain", "instance/\nproject/\n"),
        root + "project/project-id": ("text/plain", project),
        root + "project/numeric-project-id": ("text/plain", "1234"),
        root + "universe/universe-domain": ("text/plain", "googleapis.com"),
        root + "instance/service-accounts/default/": (
            "application/json",
            {"aliases": ["default"], "email": email, "scopes": scopes},
        ),
        root + "instance/service-accounts/default/email": ("text/plain", email),
        root + "instance/service-accounts/default/scopes": ("text/plain", "\n".join(scopes)),
        root + "instance/service-accounts/default/token": (
            "application/json",
            {"access_token": FAKE_TOKEN, "expires_in": 3599, "token_type": "Bearer"},
        ),
    }

    class Handler(BaseHTTPRequestHandler):
        server_version = "Metadata Server for VM"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            parts = path.split("/")
            if path.startswith(root + "instance/service-accounts/") and len(parts) > 5:
                parts[5] = "default"  # accept the service account's email in place of "default"
                path = "/".join(parts)
            route = routes.get(path)
            if route is None:
                self._send(404, "text/plain", "not found")
                return
            ctype, body = route
            self._send(200, ctype, json.dumps(body) if ctype == "application/json" else str(body))

        def _send(self, status: int, ctype: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Metadata-Flavor", "Google")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args: object) -> None:
            sys.stderr.write("fake-gce-metadata: " + (fmt % args) + "\n")

    return Handler


def _raise_keyboard_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", default="test-project")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.project))
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
