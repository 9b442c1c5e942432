{% snapshot user_snapshot %}
{#- Changes and deletions of each user over time (the raw table holds the latest only). -#}
{{
    config(
        enabled=looker_stream_selected('user'),
        unique_key='user_id',
        strategy='check',
        check_cols='all',
    )
}}
select * from {{ ref('stg_looker__users') }}
{% endsnapshot %}
