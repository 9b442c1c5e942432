{{ config(enabled=looker_stream_selected('sync_audit')) }}
-- Whether each stream's read of each run is proven complete by Looker's own count.
-- Grain: one row per tap run (run_started_at) and stream.
select
    {{ dbt.concat(['stream', "'|'", dbt.safe_cast('run_started_at', dbt.type_string())]) }} as audit_key,
    run_started_at,
    stream,
    window_from,
    window_to,
    rows_read,
    records_written,
    rows_read - records_written as own_rows_left_out,
    looker_queries,
    looker_count,
    status,
    -- Proven: the read finished and Looker counts no row in the window that was not read.
    -- Rows that left the window while being read (an item accessed again) make
    -- rows_read exceed looker_count; that is not a loss (they come with the next run).
    status = 'complete' and looker_count is not null and looker_count <= rows_read as is_proven,
    case
        when status = 'budget' then 'not complete: query budget spent (goes on next run)'
        when status <> 'complete' then 'not complete: ' || status
        when looker_count is null then 'ended on an empty page (no count measure)'
        when looker_count < rows_read then 'proven; rows left the window while read'
        else 'proven by Looker count'
    end as evidence
from {{ ref('stg_looker__sync_audit') }}
