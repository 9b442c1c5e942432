"""singer-sdk's standard tap tests, against a Looker simulator on loopback."""

from __future__ import annotations

import atexit

from looker_simulator import LookerSimulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_looker_activity.tap import TapLookerActivity
from tests.conftest import CLIENT_ID, CLIENT_SECRET

# get_tap_test_class needs its config when the module is imported, so the simulator
# starts here rather than in a fixture.
# explores="all": the standard tests sync every stream, not only the selected ones.
_SIMULATOR = LookerSimulator(
    rows=400, seed=17, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, explores="all"
)
_SIMULATOR.start()
atexit.register(_SIMULATOR.stop)

_CONFIG = {
    "base_url": _SIMULATOR.base_url,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "page_size": 120,
    "start_date": "2000-01-01T00:00:00Z",
}
# Only content_usage is selected by default; the standard tests cover every stream.
_CATALOG = TapLookerActivity(config=_CONFIG, setup_mapper=False).catalog_dict
for _entry in _CATALOG["streams"]:
    for _md in _entry["metadata"]:
        if not _md["breadcrumb"]:
            _md["metadata"]["selected"] = True

TestTapLookerActivity = get_tap_test_class(
    tap_class=TapLookerActivity,
    config=_CONFIG,
    catalog=_CATALOG,
    suite_config=SuiteConfig(max_records_limit=300),
)
