"""Stream definitions: which explore, which keys. The rest lives in the base classes.

Each stream's explore, keys and fallback fields are in ``schemas/<stream>.json``. Only
``content_usage`` is selected when no catalog is given (plain Singer use): every stream
costs at least one Looker query per run, so the others are opted into by selection
(Meltano's ``select``, or ``"selected": true`` in a catalog).
"""

from __future__ import annotations

import re

from tap_looker_activity.client import LookerExploreFullTableStream, LookerExploreStream
from tap_looker_activity.lookml import ExploreDefinition


class ContentUsageStream(LookerExploreStream):
    """System Activity > Content Usage: one row per content item, counters grow in place."""

    definition = ExploreDefinition.from_bundled("content_usage")


class HistoryStream(LookerExploreStream):
    """History: one row per query run, bookmarked on completed_time.

    A run appears once it has finished, in its final state (status, runtime, result source).
    """

    definition = ExploreDefinition.from_bundled("history")
    selected_by_default = False


class QueryStream(LookerExploreStream):
    """Query: query definitions (model, explore, fields, filters); immutable."""

    definition = ExploreDefinition.from_bundled("query")
    selected_by_default = False


class EventStream(LookerExploreStream):
    """Event: logins, content changes, admin actions; append-only."""

    definition = ExploreDefinition.from_bundled("event")
    selected_by_default = False


class EventAttributeStream(LookerExploreStream):
    """Event Attribute: name/value pairs of events.

    Bookmarked on the joined event.created_time, exposed as event_created_time.
    """

    definition = ExploreDefinition.from_bundled("event_attribute")
    selected_by_default = False


class ScheduledJobStream(LookerExploreStream):
    """Scheduled Plan > scheduled_job: one row per schedule delivery.

    Bookmarked on finalized_time: a job appears once it has finished, with its final status.
    """

    definition = ExploreDefinition.from_bundled("scheduled_job")
    selected_by_default = False


class PdtEventLogStream(LookerExploreStream):
    """PDT Event Log: no unique id; keyed by ``_sdc_surrogate_key`` (see client.py)."""

    definition = ExploreDefinition.from_bundled("pdt_event_log")
    selected_by_default = False


class UserStream(LookerExploreFullTableStream):
    """User: accounts; read whole each run (no update time to bookmark)."""

    definition = ExploreDefinition.from_bundled("user")
    selected_by_default = False


class DashboardStream(LookerExploreFullTableStream):
    """Dashboard: user-defined dashboards; read whole each run."""

    definition = ExploreDefinition.from_bundled("dashboard")
    selected_by_default = False


class LookStream(LookerExploreFullTableStream):
    """Look: saved Looks; read whole each run."""

    definition = ExploreDefinition.from_bundled("look")
    selected_by_default = False


STREAM_TYPES: list[type[LookerExploreStream]] = [
    ContentUsageStream,
    HistoryStream,
    QueryStream,
    EventStream,
    EventAttributeStream,
    ScheduledJobStream,
    PdtEventLogStream,
    UserStream,
    DashboardStream,
    LookStream,
]


def configured_stream_type(definition: ExploreDefinition) -> type[LookerExploreStream]:
    """A stream class for one item of the ``explores`` setting (selected by default)."""
    base = LookerExploreStream if definition.replication_key else LookerExploreFullTableStream
    camel = "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", definition.stream_name))
    return type(
        f"{camel}ConfiguredStream",
        (base,),
        {
            "definition": definition,
            "selected_by_default": True,
            "__doc__": f"{definition.model}/{definition.explore} from the explores setting.",
        },
    )
