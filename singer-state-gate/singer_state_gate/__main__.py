"""``python -m singer_state_gate TARGET [ARGS...]``."""

from singer_state_gate import main

main()
