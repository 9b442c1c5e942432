{{ config(enabled=looker_stream_selected('lookml_field')) }}
{%- set src = source('looker', 'lookml_field') %}
-- One row per LookML field of every explore the tap has ever read (the loader keeps rows of
-- fields LookML no longer has): is_current marks those the latest catalog read still had.
with fields as (
    select
        {{ looker_column(src, ['model'], dbt.type_string(), 'model') }},
        {{ looker_column(src, ['explore'], dbt.type_string(), 'explore') }},
        {{ looker_column(src, ['field'], dbt.type_string(), 'field') }},
        {{ looker_column(src, ['view'], dbt.type_string(), 'view_name') }},
        {{ looker_column(src, ['category'], dbt.type_string(), 'category') }},
        {{ looker_column(src, ['type'], dbt.type_string(), 'field_type') }},
        coalesce({{ looker_bool_expr(src, ['hidden']) }}, false) as is_hidden,
        {{ looker_column(src, ['label'], dbt.type_string(), 'label') }},
        {{ looker_column(src, ['tags'], dbt.type_string(), 'tags') }},
        {{ looker_column(src, ['times_used'], dbt.type_bigint(), 'times_used') }},
        {{ looker_column(src, ['read_at'], dbt.type_timestamp(), 'read_at') }}
    from {{ src }}
)

select
    {{ dbt.concat(['model', "'|'", 'explore', "'|'", 'field']) }} as lookml_field_key,
    fields.*,
    read_at = max(read_at) over () as is_current
from fields
