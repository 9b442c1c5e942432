"""TEST-ONLY: make ``google.auth.default()`` return anonymous credentials.

Real BigQuery behaviour restored: "a BigQuery client finds credentials". Against
bqemulator there are none, but z3-target-bigquery builds ``bigquery.Client(project=...)``
without credentials, so google-cloud-bigquery calls ``google.auth.default()``, which fails
(no ADC file, no metadata server) even when ``BIGQUERY_EMULATOR_HOST`` is set.

Active only when ``TAP_LOOKER_TEST_ANON_GCP=1`` and this directory is on ``PYTHONPATH``
(Python imports ``sitecustomize`` at start-up). Does nothing otherwise, and nothing when
google-auth is not installed in the interpreter. The project is taken from
``GOOGLE_CLOUD_PROJECT`` (the caller passes it explicitly anyway).

CAVEAT: Meltano drops ``PYTHONPATH`` from every plugin's environment
(meltano/core/plugin_invoker.py, ``env.pop("PYTHONPATH", None)``), so this does not reach a
target started by ``meltano run``. For that path the harness serves a fake GCE metadata
server instead (``fake_gce_metadata.py``); see tests/harness/README.md.

Never import or ship this from product code.
"""

from __future__ import annotations

import os


def _install() -> None:
    try:
        import google.auth
        import google.auth._default
        from google.auth.credentials import AnonymousCredentials
    except ImportError:  # google-auth not in this interpreter: nothing to patch
        return

    def anonymous_default(scopes=None, request=None, quota_project_id=None, default_scopes=None):
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT")
        return AnonymousCredentials(), project

    anonymous_default.__doc__ = "tests/harness/sitecustomize: anonymous credentials for emulators"
    google.auth.default = anonymous_default
    google.auth._default.default = anonymous_default


if os.environ.get("TAP_LOOKER_TEST_ANON_GCP") == "1":
    _install()
