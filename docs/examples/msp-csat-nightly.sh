#!/usr/bin/env bash
# The nightly job: load Autotask then SmileBack from their APIs, validate the measures,
# check the committed Power BI project is current, publish it and refresh the semantic model.
# Secrets come from the environment (the cron or systemd EnvironmentFile, or the CI's secret store):
# MSP_CSAT_DB, AUTOTASK_*, SMILEBACK_*, AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET.
# Any step that fails stops the job (set -e): nothing is published after a failed load, validation or check.
set -euo pipefail
cd "${MSP_CSAT_HOME:-/opt/msp-csat}"
gen-measures load --source autotask-api --quiet
gen-measures load --source smileback-api --quiet
# The DAX engine evaluates DuckDB files only: with the BI_ tables on a server, validate the measures on the demo
# dataset in a scratch file (with MSP_CSAT_DB pointing at a DuckDB file, validate that file instead).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
gen-measures demo --db "$scratch/demo.duckdb"
gen-measures validate --db "$scratch/demo.duckdb"
gen-measures check --connection postgresql
gen-measures deploy --environment prod --refresh
