{#- Which tap streams are selected (and so loaded): DBT_LOOKER_STREAMS, comma-separated (the
    `streams` setting of the dbt utilities; keep it in step with the tap's `select`). Sources,
    snapshots and models of unselected streams are disabled, not built empty. -#}
{% macro looker_streams() %}
  {%- set raw = env_var('DBT_LOOKER_STREAMS', 'content_usage,sync_audit').replace(' ', '').split(',') -%}
  {{ return(raw | reject('equalto', '') | list) }}
{% endmacro %}

{% macro looker_stream_selected(stream) %}
  {{ return(stream in looker_streams()) }}
{% endmacro %}

{#- `cast(<first existing column> as <type>)`, or a typed NULL when the raw table has none of
    `names`. Column names moved between tap versions (e.g. created_time vs created_at):
    staging models name the candidates once, the marts see one name. -#}
{% macro looker_expr(relation, names, data_type) %}
  {%- if execute -%}
    {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- else -%}
    {%- set existing = [] -%}
  {%- endif -%}
  {%- set found = names | select('in', existing) | list -%}
  {%- if found -%}
    cast({{ adapter.quote(found[0]) }} as {{ data_type }})
  {%- else -%}
    cast(null as {{ data_type }})
  {%- endif -%}
{% endmacro %}

{% macro looker_column(relation, names, data_type, alias) %}
  {{- looker_expr(relation, names, data_type) }} as {{ alias -}}
{% endmacro %}

{#- Booleans arrive as BOOLEAN, or as 'Yes'/'No' strings from older explores. -#}
{% macro looker_bool_expr(relation, names) %}
  {%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
  {%- else -%}
    {%- set columns = [] -%}
  {%- endif -%}
  {%- set found = columns | selectattr('name', 'in', names) | list -%}
  {%- if not found -%}
    cast(null as {{ dbt.type_boolean() }})
  {%- elif found[0].is_string() -%}
    (lower({{ adapter.quote(found[0].name) }}) in ('yes', 'true'))
  {%- else -%}
    cast({{ adapter.quote(found[0].name) }} as {{ dbt.type_boolean() }})
  {%- endif -%}
{% endmacro %}

{#- A whole-day date from a timestamp (UTC). -#}
{% macro looker_date(expression) %}
  cast({{ expression }} as date)
{% endmacro %}
