// Turns a kustomize directory into the list of Kubernetes objects it produces: rendered by
// `kubectl kustomize` when kubectl exists, otherwise the raw documents of the files its
// kustomization.yaml lists under resources: (patches are partial objects and cannot be checked alone).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export function kubectlAvailable() {
  const probe = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8", timeout: 30_000 });
  return probe.status === 0;
}

/** Parses a multi-document YAML text; throws with the file name and the parser's message. */
export function parseYamlDocuments(text, source) {
  const documents = parseAllDocuments(text, { merge: true });
  const objects = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`${source}: ${document.errors.map((e) => e.message).join("; ")}`);
    }
    const value = document.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

export function renderWithKubectl(directory) {
  const result = spawnSync("kubectl", ["kustomize", directory], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${directory} failed: ${(result.stderr || result.error?.message || "").trim()}`);
  }
  return parseYamlDocuments(result.stdout, `kubectl kustomize ${directory}`);
}

/**
 * The raw fallback: objects from the kustomization's resources: files (directories such as
 * ../../base are rendered on their own), and the names of the patches it could not check.
 */
export function readRawResources(directory) {
  const kustomization = parseYamlDocuments(readFileSync(path.join(directory, "kustomization.yaml"), "utf8"), "kustomization.yaml")[0] ?? {};
  const objects = [];
  for (const resource of kustomization.resources ?? []) {
    const full = path.join(directory, resource);
    if (!existsSync(full)) throw new Error(`resources: ${resource} -> ${full} does not exist`);
    if (statSync(full).isDirectory()) continue;
    objects.push(...parseYamlDocuments(readFileSync(full, "utf8"), full));
  }
  const patches = (kustomization.patches ?? []).map((p) => p.path ?? "(inline patch)");
  for (const p of kustomization.patches ?? []) {
    if (!p.path) continue;
    const full = path.join(directory, p.path);
    if (!existsSync(full)) throw new Error(`patches: ${p.path} does not exist`);
    parseYamlDocuments(readFileSync(full, "utf8"), full); // at least it parses
  }
  return { objects, patches };
}

export function describe(object) {
  return `${object?.kind ?? "?"}/${object?.metadata?.name ?? "?"}`;
}
