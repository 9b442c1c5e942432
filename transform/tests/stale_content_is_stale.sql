{{ config(enabled=looker_stream_selected('content_usage')) }}
-- Every row of stale_content is idle for at least stale_after_days (or has no date at all),
-- and none is deleted content.
select content_key
from {{ ref('stale_content') }}
where days_idle < stale_after_days
