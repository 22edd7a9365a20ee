// Project rules the schemas cannot express: what every RewardEvents Deployment must carry, and
// how the objects of one render must agree with each other.
import { parseQuantity, parseTimeSpanSeconds } from "./quantity.js";

const DEFAULT_PARTITIONS = 16;

/** Problems of one Deployment's containers (probes, resources, security context). */
export function deploymentProblems(deployment) {
  const problems = [];
  const pod = deployment.spec?.template?.spec ?? {};
  const podSecurity = pod.securityContext ?? {};
  for (const container of pod.containers ?? []) {
    const where = `container ${container.name}`;
    const security = container.securityContext ?? {};
    if (!container.livenessProbe) problems.push(`${where} has no livenessProbe`);
    if (!container.readinessProbe) problems.push(`${where} has no readinessProbe`);
    for (const kind of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        if (container.resources?.[kind]?.[resource] === undefined) {
          problems.push(`${where} has no resources.${kind}.${resource}`);
        }
      }
    }
    for (const resource of ["cpu", "memory"]) {
      const request = parseQuantity(container.resources?.requests?.[resource]);
      const limit = parseQuantity(container.resources?.limits?.[resource]);
      if (request > limit) {
        problems.push(`${where} requests more ${resource} (${container.resources.requests[resource]}) than its limit (${container.resources.limits[resource]}); the API server rejects that`);
      }
    }
    if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) !== true) problems.push(`${where} does not set runAsNonRoot: true`);
    if (security.readOnlyRootFilesystem !== true) problems.push(`${where} does not set readOnlyRootFilesystem: true`);
    if (security.allowPrivilegeEscalation !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
    // The namespace enforces the "restricted" Pod Security Standard, which also demands these;
    // without them the pods are refused at admission, not at apply time.
    if (!(security.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where} does not drop ALL capabilities (restricted Pod Security Standard)`);
    const seccomp = (security.seccompProfile ?? podSecurity.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push(`${where} has no RuntimeDefault/Localhost seccompProfile (restricted Pod Security Standard)`);
  }
  if ((pod.containers ?? []).length === 0) problems.push("has no containers");
  return problems;
}

function configData(objects) {
  const data = {};
  for (const o of objects) {
    if (o.kind === "ConfigMap") Object.assign(data, o.data ?? {});
  }
  return data;
}

function matches(selector, labels) {
  const wanted = selector?.matchLabels ?? selector ?? {};
  return Object.keys(wanted).length > 0 && Object.entries(wanted).every(([k, v]) => labels?.[k] === v);
}

/** Cross-object rules for one render; each entry is [subject, problems]. */
export function renderProblems(objects) {
  const results = [];
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const deploymentNamed = (name) => deployments.find((d) => d.metadata?.name === name);
  const config = configData(objects);
  const partitionsSetting = config.Delivery__Partitions;
  const partitions = partitionsSetting === undefined ? DEFAULT_PARTITIONS : Number(partitionsSetting);

  for (const scaled of objects.filter((o) => o.kind === "ScaledObject")) {
    const problems = [];
    const { minReplicaCount = 0, maxReplicaCount = 100, scaleTargetRef } = scaled.spec ?? {};
    if (!Number.isInteger(partitions) || partitions < 1) {
      problems.push(`ConfigMap Delivery__Partitions is "${partitionsSetting}", not a positive integer`);
    } else if (maxReplicaCount > partitions) {
      problems.push(`maxReplicaCount ${maxReplicaCount} exceeds Delivery__Partitions ${partitions}: workers past the partition count own nothing`);
    }
    if (minReplicaCount > maxReplicaCount) problems.push(`minReplicaCount ${minReplicaCount} exceeds maxReplicaCount ${maxReplicaCount}`);
    if (!deploymentNamed(scaleTargetRef?.name)) problems.push(`scaleTargetRef ${scaleTargetRef?.name} is not a Deployment of this render`);
    results.push([`ScaledObject/${scaled.metadata?.name} (partitions ${partitions})`, problems]);
  }

  for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const problems = [];
    if (!deploymentNamed(hpa.spec?.scaleTargetRef?.name)) problems.push(`scaleTargetRef ${hpa.spec?.scaleTargetRef?.name} is not a Deployment of this render`);
    if ((hpa.spec?.minReplicas ?? 1) > hpa.spec?.maxReplicas) problems.push(`minReplicas ${hpa.spec.minReplicas} exceeds maxReplicas ${hpa.spec.maxReplicas}`);
    results.push([`HorizontalPodAutoscaler/${hpa.metadata?.name}`, problems]);
  }

  for (const selecting of objects.filter((o) => o.kind === "Service" || o.kind === "PodDisruptionBudget")) {
    const selector = selecting.spec?.selector;
    const hit = deployments.some((d) => matches(selector, d.spec?.template?.metadata?.labels));
    results.push([`${selecting.kind}/${selecting.metadata?.name} selector`, hit ? [] : [`selector ${JSON.stringify(selector)} matches no Deployment's pod labels`]]);
  }

  // The pod grace period must outlast the host's shutdown timeout, or the kubelet kills a worker
  // before it has released its partitions (deploy/README.md, "Graceful shutdown").
  const shutdown = parseTimeSpanSeconds(config.HostOptions__ShutdownTimeout);
  for (const d of deployments) {
    const problems = [];
    const pod = d.spec?.template?.spec ?? {};
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!Number.isNaN(shutdown) && grace <= shutdown && d.metadata?.name === "worker") {
      problems.push(`terminationGracePeriodSeconds ${grace} does not exceed HostOptions__ShutdownTimeout (${shutdown} s)`);
    }
    for (const container of pod.containers ?? []) {
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name;
        if (name && !objects.some((o) => o.kind === "ConfigMap" && o.metadata?.name === name)) {
          problems.push(`container ${container.name} reads ConfigMap ${name}, which this render does not contain`);
        }
      }
    }
    results.push([`Deployment/${d.metadata?.name} references`, problems]);
  }
  return results;
}
