"""singer-sdk's standard tap tests, against a Looker simulator on loopback."""

from __future__ import annotations

import atexit

from looker_simulator import LookerSimulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_looker_activity.tap import TapLookerActivity
from tests.conftest import CLIENT_ID, CLIENT_SECRET

# get_tap_test_class needs its config when the module is imported, so the simulator
# starts here rather than in a fixture.
_SIMULATOR = LookerSimulator(rows=400, seed=17, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
_SIMULATOR.start()
atexit.register(_SIMULATOR.stop)

TestTapLookerActivity = get_tap_test_class(
    tap_class=TapLookerActivity,
    config={
        "base_url": _SIMULATOR.base_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page_size": 120,
        "start_date": "2000-01-01T00:00:00Z",
    },
    suite_config=SuiteConfig(max_records_limit=300),
)
