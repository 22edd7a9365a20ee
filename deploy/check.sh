#!/usr/bin/env bash
# Offline sanity checks for the deployment files. No cluster or Docker engine needed.
#   deploy/check.sh
# 1. every YAML file under deploy/ and docker-compose.yml parses (python3 + PyYAML);
# 2. every resources:/patches: path in each kustomization.yaml exists;
# 3. bonus, when the tools exist: `kubectl kustomize` renders each overlay and
#    `docker compose config` / `docker-compose config` accepts the compose file.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "SKIP: python3 with PyYAML not available; YAML parse and path checks skipped" >&2
  exit 0
fi

python3 - <<'PY'
import os, sys, glob, yaml

errors = 0
files = sorted(glob.glob("deploy/**/*.yaml", recursive=True) + glob.glob("deploy/**/*.yml", recursive=True))
files.append("docker-compose.yml")
for f in files:
    try:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        print(f"ok    parse  {f} ({len(docs)} doc{'s' if len(docs) != 1 else ''})")
    except Exception as e:  # noqa: BLE001
        errors += 1
        print(f"FAIL  parse  {f}: {e}")

for k in sorted(glob.glob("deploy/**/kustomization.yaml", recursive=True)):
    base = os.path.dirname(k)
    with open(k) as fh:
        doc = yaml.safe_load(fh) or {}
    paths = list(doc.get("resources", []) or [])
    for p in doc.get("patches", []) or []:
        if isinstance(p, dict) and "path" in p:
            paths.append(p["path"])
    paths += list(doc.get("patchesStrategicMerge", []) or [])
    for p in paths:
        if "://" in p:
            continue  # remote resource
        full = os.path.normpath(os.path.join(base, p))
        if os.path.exists(full):
            print(f"ok    path   {k}: {p}")
        else:
            errors += 1
            print(f"FAIL  path   {k}: {p} -> {full} does not exist")

sys.exit(1 if errors else 0)
PY

status=0
if command -v kubectl >/dev/null 2>&1; then
  for k in deploy/k8s/base deploy/k8s/overlays/*/; do
    if kubectl kustomize "$k" >/dev/null; then echo "ok    render $k"; else echo "FAIL  render $k"; status=1; fi
  done
else
  echo "note  kubectl not found; kustomize render skipped"
fi

compose=""
if docker compose version >/dev/null 2>&1; then compose="docker compose"
elif command -v docker-compose >/dev/null 2>&1; then compose="docker-compose"; fi
if [ -n "$compose" ]; then
  tmp_env=""
  if [ ! -f deploy/compose.env ]; then
    cp deploy/compose.env.example deploy/compose.env; tmp_env=deploy/compose.env
  fi
  if $compose -f docker-compose.yml config -q; then echo "ok    compose docker-compose.yml ($compose)"; else echo "FAIL  compose docker-compose.yml"; status=1; fi
  [ -n "$tmp_env" ] && rm -f "$tmp_env"
else
  echo "note  docker compose not found; compose validation skipped"
fi
exit $status
