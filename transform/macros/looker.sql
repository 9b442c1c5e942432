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

{#- The Monday a date's ISO week starts on. BigQuery's `week` starts on Sunday, DuckDB's on
    Monday: one answer on both. On BigQuery by arithmetic (DAYOFWEEK is 1 on Sunday), which
    also runs on the BigQuery emulator (it lacks `isoweek`). -#}
{% macro looker_week_start(date_expression) %}
  {{ return(adapter.dispatch('looker_week_start')(date_expression)) }}
{% endmacro %}

{% macro default__looker_week_start(date_expression) -%}
  cast(date_trunc('week', {{ date_expression }}) as date)
{%- endmacro %}

{% macro bigquery__looker_week_start(date_expression) -%}
  date_sub({{ date_expression }}, interval mod(extract(dayofweek from {{ date_expression }}) + 5, 7) day)
{%- endmacro %}

{#- An exact, interpolated percentile of `expression` over `partition_by`, as a window
    function (BigQuery's PERCENTILE_CONT is analytic only); select it distinct per group. -#}
{% macro looker_percentile(expression, fraction, partition_by) %}
  {{ return(adapter.dispatch('looker_percentile')(expression, fraction, partition_by)) }}
{% endmacro %}

{% macro default__looker_percentile(expression, fraction, partition_by) -%}
  quantile_cont({{ expression }}, {{ fraction }}) over (partition by {{ partition_by }})
{%- endmacro %}

{% macro bigquery__looker_percentile(expression, fraction, partition_by) -%}
  percentile_cont({{ expression }}, {{ fraction }}) over (partition by {{ partition_by }})
{%- endmacro %}

{#- The day the data describes: Looker's clock when the tap last read `stream` (its audit), or
    today when the audit is not loaded. Reports say "idle for N days" as of then, so a
    warehouse loaded a while ago (or the simulator's past) reads the same every day. -#}
{% macro looker_as_of_date(stream) -%}
  {%- if looker_stream_selected('sync_audit') -%}
  (select coalesce(max(cast(run_started_at as date)), current_date) from {{ ref('stg_looker__sync_audit') }} where stream = '{{ stream }}')
  {%- else -%}
  current_date
  {%- endif -%}
{%- endmacro %}

{#- Whether a row of a stream read whole on every run (read_at stamped) was in its latest
    complete read: rows of content no longer there (unfavourited, deleted plans) keep their
    last read_at, as the loaders never delete. The audit says when the last complete read
    was, so a read that found nothing still counts; without the audit, the latest read_at. -#}
{% macro looker_read_is_current(stream, read_at='read_at', relation=none) -%}
  {%- if looker_stream_selected('sync_audit') -%}
  {{ read_at }} >= (select max(run_started_at) from {{ ref('stg_looker__sync_audit') }} where stream = '{{ stream }}' and status = 'complete')
  {%- else -%}
  {{ read_at }} = max({{ read_at }}) over ()
  {%- endif -%}
{%- endmacro %}
