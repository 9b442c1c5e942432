{% snapshot content_usage_snapshot %}
{#- Every state of the cumulative counters the loader's upsert overwrites: a new version
    whenever a counter or the last access moves. dbt_valid_from is the dbt run that saw it. -#}
{{
    config(
        enabled=looker_stream_selected('content_usage'),
        unique_key='content_usage_id',
        strategy='check',
        check_cols=[
            'api_count', 'embed_count', 'public_count', 'schedule_count', 'other_count',
            'last_accessed_time',
        ],
    )
}}
select * from {{ ref('stg_looker__content_usage') }}
{% endsnapshot %}
