{% test non_negative(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test positive(model, column_name) %}
select * from {{ model }} where not ({{ column_name }} > 0)
{% endtest %}
