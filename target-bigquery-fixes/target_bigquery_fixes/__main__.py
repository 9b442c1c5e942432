"""``python -m target_bigquery_fixes [ARGS...]``: the fixed target, without the gate."""

from target_bigquery_fixes import main

main()
