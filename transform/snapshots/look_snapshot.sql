{% snapshot look_snapshot %}
{#- Changes and deletions of each look over time (the raw table holds the latest only). -#}
{{
    config(
        enabled=looker_stream_selected('look'),
        unique_key='look_id',
        strategy='check',
        check_cols='all',
    )
}}
select * from {{ ref('stg_looker__looks') }}
{% endsnapshot %}
