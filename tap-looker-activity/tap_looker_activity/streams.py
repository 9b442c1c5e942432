"""Stream definitions: which explore, which keys. The rest lives in the base class."""

from __future__ import annotations

from tap_looker_activity.client import LookerExploreStream
from tap_looker_activity.lookml import ExploreDefinition


class ContentUsageStream(LookerExploreStream):
    """System Activity > Content Usage: one row per content item, counters grow in place."""

    definition = ExploreDefinition.from_bundled("content_usage")


STREAM_TYPES: list[type[LookerExploreStream]] = [ContentUsageStream]
