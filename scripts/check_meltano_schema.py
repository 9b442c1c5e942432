"""Check meltano.yml and its included files against the installed Meltano's own JSON schema.

One exception, stated here: schedule intervals `@manual` and `@none`. Meltano's code takes
them (meltano/core/schedule.py, CRON_INTERVALS: no cron, run only when triggered) and so does
our DAG generator (orchestrate/airflow/dags/meltano.py, MANUAL_INTERVALS), but the schema
file shipped with Meltano 3.x still lists only `@once` and the cron-like intervals.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
import typing as t
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = importlib.resources.files("meltano") / "schemas" / "meltano.schema.json"
MANUAL_INTERVALS = frozenset({"@manual", "@none"})


def project_files() -> list[Path]:
    """meltano.yml and the files its `include_paths` name."""
    main = ROOT / "meltano.yml"
    included = yaml.safe_load(main.read_text()).get("include_paths", [])
    return [main, *sorted({p for pattern in included for p in ROOT.glob(pattern)})]


def is_manual_interval(error: jsonschema.ValidationError) -> bool:
    path = list(error.absolute_path)
    return (
        len(path) == 3
        and path[0] == "schedules"
        and path[2] == "interval"
        and (error.instance in MANUAL_INTERVALS)
    )


def problems(path: Path, validator: jsonschema.Draft7Validator) -> list[str]:
    document: t.Any = yaml.safe_load(path.read_text())
    return [
        f"{path.relative_to(ROOT)}: {'/'.join(map(str, error.absolute_path)) or '(top)'}: "
        f"{error.message}"
        for error in validator.iter_errors(document)
        if not is_manual_interval(error)
    ]


def main() -> int:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    found = [line for path in project_files() for line in problems(path, validator)]
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
