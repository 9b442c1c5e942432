"""Project-wide pytest configuration.

The emulator fixtures (emulator_stack, gcs_emulator, bigquery_emulator, gcs_bucket,
bq_dataset, emulator_env, target_bigquery_bin) come from the test harness.
"""

pytest_plugins = ["tests.harness.fixtures"]
