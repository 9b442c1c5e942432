"""``python -m tap_looker_activity``."""

from tap_looker_activity.tap import main

main()
