#!/usr/bin/env bash
# Offline sanity checks for the deployment files. No cluster or Docker engine needed.
#   deploy/check.sh
# 1. every YAML file under deploy/ and docker-compose.yml parses (python3 + PyYAML);
# 2. every resources:/patches: path in each kustomization.yaml exists;
# 3. deploy/validate (Node.js): renders base and every overlay (kubectl kustomize, or the raw
#    documents when kubectl is missing), validates every object against the Kubernetes and KEDA
#    schemas, checks the project's Deployment/autoscaling rules, validates docker-compose.yml
#    against the Compose schema and lints the Dockerfiles (deploy/README.md, "Checks");
# 4. bonus, when the tools exist: `docker compose config` / `docker-compose config` accepts the
#    compose file.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -d deploy/validate/node_modules ]; then
    npm ci --prefix deploy/validate --no-audit --no-fund --loglevel=error
  fi
  node deploy/validate/validate.js || status=1
else
  echo "FAIL  node/npm not found: install Node.js (20+) to run deploy/validate"
  status=1
fi

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "note  python3 with PyYAML not available; YAML parse and path checks skipped"
elif ! python3 - <<'PY'
import os, sys, glob, yaml

errors = 0
files = sorted(f for f in glob.glob("deploy/**/*.yaml", recursive=True) + glob.glob("deploy/**/*.yml", recursive=True)
               if "node_modules" not in f.split(os.sep))
files.append("docker-compose.yml")
for f in files:
    try:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        print(f"ok    parse  {f} ({len(docs)} doc{'s' if len(docs) != 1 else ''})")
    except Exception as e:  # noqa: BLE001
        errors += 1
        print(f"FAIL  parse  {f}: {e}")

for k in sorted(k for k in glob.glob("deploy/**/kustomization.yaml", recursive=True) if "node_modules" not in k.split(os.sep)):
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
then
  status=1
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
  if [ -n "$tmp_env" ]; then rm -f "$tmp_env"; fi
else
  echo "note  docker compose not found; compose validation skipped"
fi
exit $status
