{{ config(enabled=looker_stream_selected('content_usage')) }}
-- The accesses of a row happened after window_start and at or before window_end, which is
-- on usage_date.
select content_usage_day_key
from {{ ref('content_usage_daily') }}
where not (window_start < window_end)
   or {{ looker_date('window_end') }} != usage_date
