{{ config(enabled=looker_stream_selected('content_usage')) }}
{#- What Looker's Unused Content page would offer to delete: idle content (idle_content) that
    none of its rules, nor the do-not-delete list, keeps. -#}
select
    content_key,
    content_type,
    content_id,
    title,
    owner_user_id,
    owner_name,
    folder_id,
    created_at,
    last_accessed_at,
    never_accessed,
    total_accesses,
    days_idle,
    as_of,
    stale_after_days
from {{ ref('idle_content') }}
where keep_reason is null
