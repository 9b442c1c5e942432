{% snapshot dashboard_snapshot %}
{#- Changes and deletions of each dashboard over time (the raw table holds the latest only). -#}
{{
    config(
        enabled=looker_stream_selected('dashboard'),
        unique_key='dashboard_id',
        strategy='check',
        check_cols='all',
    )
}}
select * from {{ ref('stg_looker__dashboards') }}
{% endsnapshot %}
