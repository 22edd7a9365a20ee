// Validates each object against the OpenAPI schemas that kubernetes-models (Kubernetes) and
// @kubernetes-models/keda (KEDA CRDs) carry. A kind neither package knows is an error: it would
// be a typo, or an object this check cannot vouch for.
const groups = new Map();

async function modelsFor(apiVersion) {
  if (groups.has(apiVersion)) return groups.get(apiVersion);
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const specifier = group.endsWith("keda.sh")
    ? `@kubernetes-models/keda/${group}/${version}`
    : `kubernetes-models/${group ? `${group}/` : ""}${version}`;
  let models = null;
  try {
    models = await import(specifier);
  } catch {
    models = null;
  }
  groups.set(apiVersion, models);
  return models;
}

/** Returns the problems of one object; an empty list when it validates. */
export async function validateObject(object) {
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["has no apiVersion/kind"];
  }
  const models = await modelsFor(apiVersion);
  const Model = models?.[kind];
  if (typeof Model !== "function" || Model.kind !== kind) {
    return [`unknown kind ${apiVersion} ${kind} (not in kubernetes-models or @kubernetes-models/keda)`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const errors = Array.isArray(error.errors) ? error.errors : null;
    if (!errors) return [error.message];
    // oneOf failures repeat each branch's complaint; keep the most specific, once each.
    const seen = new Set();
    return errors
      .filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf")
      .map((e) => `${e.instancePath || "/"} ${e.message}`)
      .filter((m) => !seen.has(m) && seen.add(m));
  }
}
