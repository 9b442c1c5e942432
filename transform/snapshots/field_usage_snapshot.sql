{% snapshot field_usage_snapshot %}
{#- Every value of the lifetime use counters the loader's upsert overwrites: a new version
    whenever times_used moves. read_at is Looker's clock at the read that first saw it. -#}
{{
    config(
        enabled=looker_stream_selected('field_usage'),
        unique_key='field_usage_id',
        strategy='check',
        check_cols=['times_used'],
    )
}}
select * from {{ ref('stg_looker__field_usage') }}
{% endsnapshot %}
