#!/usr/bin/env node
// Offline validation of the RewardEvents deployment files (deploy/README.md, "Checks"):
//   node deploy/validate/validate.js [repository root]
// Prints one line per check and exits 1 when any check fails.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Report } from "./lib/report.js";
import { describe, kubectlAvailable, readRawResources, renderWithKubectl } from "./lib/k8s-render.js";
import { validateObject } from "./lib/k8s-schema.js";
import { deploymentProblems, renderProblems } from "./lib/k8s-rules.js";
import { checkCompose } from "./lib/compose.js";
import { checkDockerfile } from "./lib/dockerfile.js";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".."));
const report = new Report();

async function checkObjects(subject, objects) {
  for (const object of objects) {
    report.rules("schema", `${subject} ${describe(object)}`, await validateObject(object));
    if (object.kind === "Deployment") report.rules("rules", `${subject} ${describe(object)}`, deploymentProblems(object));
  }
}

async function checkKubernetes() {
  const k8s = path.join(root, "deploy", "k8s");
  const overlays = readdirSync(path.join(k8s, "overlays"), { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => path.join("deploy", "k8s", "overlays", e.name)).sort();
  const directories = [path.join("deploy", "k8s", "base"), ...overlays];
  const kubectl = kubectlAvailable();
  if (!kubectl) {
    report.note("render", "deploy/k8s", "kubectl not found: validating the raw resources of each kustomization instead of rendered overlays (overlay patches, and the cross-object rules of overlays, are not checked)");
  }
  for (const directory of directories) {
    let objects;
    try {
      if (kubectl) {
        objects = renderWithKubectl(path.join(root, directory));
        report.ok("render", directory, `kubectl kustomize, ${objects.length} objects`);
      } else {
        const raw = readRawResources(path.join(root, directory));
        objects = raw.objects;
        report.note("render", directory, `raw: ${objects.length} objects${raw.patches.length ? `; patches not checked: ${raw.patches.join(", ")}` : ""}`);
      }
    } catch (error) {
      report.fail("render", directory, error.message);
      continue;
    }
    await checkObjects(directory, objects);
    // Cross-object rules need the whole render; raw overlays hold only their own files.
    if (kubectl || directory.endsWith("base")) {
      for (const [subject, problems] of renderProblems(objects)) report.rules("rules", `${directory} ${subject}`, problems);
    }
  }
}

function checkDocker() {
  for (const [check, subject, problems] of checkCompose(root, "docker-compose.yml")) report.rules(check, subject, problems);
  const hosts = readdirSync(path.join(root, "src"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(path.join(root, "src", e.name)).includes("Dockerfile"))
    .map((e) => path.join("src", e.name, "Dockerfile")).sort();
  if (hosts.length === 0) report.fail("dockerfile", "src/*/Dockerfile", "no Dockerfile found");
  for (const file of hosts) {
    for (const [check, subject, problems] of checkDockerfile(root, file)) report.rules(check, subject, problems);
  }
}

// A crash in a check is a failure of the run, reported like one, not a stack trace and exit 0.
for (const check of [checkKubernetes, checkDocker]) {
  try {
    await check();
  } catch (error) {
    report.fail("internal", check.name, error.stack ?? String(error));
  }
}
console.log(report.failures === 0 ? "deploy checks: all passed" : `deploy checks: ${report.failures} failed`);
process.exit(report.failures === 0 ? 0 : 1);
