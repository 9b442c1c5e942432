{{ config(enabled=looker_stream_selected('field_usage')) }}
{%- set src = source('looker', 'field_usage') %}
-- One row per model, explore and field some query has used: Looker's lifetime use counter
-- (overwritten in place by the loader) and when the tap read it (Looker's clock). The
-- explore is `explore` in current System Activity LookML, `base_view` in older copies.
select
    {{ looker_column(src, ['id'], dbt.type_bigint(), 'field_usage_id') }},
    {{ looker_column(src, ['model'], dbt.type_string(), 'model') }},
    coalesce(
        {{ looker_expr(src, ['explore'], dbt.type_string()) }},
        {{ looker_expr(src, ['base_view'], dbt.type_string()) }}
    ) as explore,
    {{ looker_column(src, ['field'], dbt.type_string(), 'field') }},
    {{ looker_column(src, ['times_used'], dbt.type_bigint(), 'times_used') }},
    {{ looker_column(src, ['read_at'], dbt.type_timestamp(), 'read_at') }}
from {{ src }}
