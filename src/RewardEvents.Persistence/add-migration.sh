#!/usr/bin/env bash
# Adds a migration NAME for every provider: ./add-migration.sh AddSomething
# Needs the dotnet-ef tool: dotnet tool install --global dotnet-ef --version 10.0.15
set -euo pipefail
name=${1:?usage: add-migration.sh NAME}
cd "$(dirname "$0")"
for provider in Sqlite Postgres SqlServer; do
  dotnet ef migrations add "$name" --context "${provider}RewardEventsDbContext" --output-dir "Migrations/$provider"
done
