{{ config(enabled=looker_stream_selected('sync_audit')) }}
{%- set src = source('looker', 'sync_audit') %}
{#- The audit lands only where the tap's select includes sync_audit (meltano.yml does by
    default); a run whose select left it out leaves no table: no rows, not a failed build. -#}
{%- set loaded = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else true %}
-- One row per tap stream and run: what the run read and what Looker counted.
select
    {{ looker_column(src, ['run_started_at'], dbt.type_timestamp(), 'run_started_at') }},
    {{ looker_column(src, ['stream'], dbt.type_string(), 'stream') }},
    {{ looker_column(src, ['window_from'], dbt.type_timestamp(), 'window_from') }},
    {{ looker_column(src, ['window_to'], dbt.type_timestamp(), 'window_to') }},
    {{ looker_column(src, ['rows_read'], dbt.type_bigint(), 'rows_read') }},
    {{ looker_column(src, ['records'], dbt.type_bigint(), 'records_written') }},
    {{ looker_column(src, ['looker_queries'], dbt.type_bigint(), 'looker_queries') }},
    {{ looker_column(src, ['looker_count'], dbt.type_bigint(), 'looker_count') }},
    {{ looker_column(src, ['status'], dbt.type_string(), 'status') }},
    {{ looker_column(src, ['query_calls'], dbt.type_bigint(), 'query_calls') }},
    {{ looker_column(src, ['admin_calls'], dbt.type_bigint(), 'admin_calls') }}
{% if loaded %}from {{ src }}{% else %}where false{% endif %}
