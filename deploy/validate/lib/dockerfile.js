// Lints each Dockerfile with dockerfile-utils (the Docker language server's validator, every
// optional rule on), then checks the project's own conventions: the restore layer copies every
// project the host references, COPY sources exist, and the final stage runs as a non-root user
// with a HEALTHCHECK.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import dockerfileUtils from "dockerfile-utils";

const { validate, ValidationSeverity } = dockerfileUtils;

const strict = Object.fromEntries(
  ["deprecatedMaintainer", "directiveCasing", "emptyContinuationLine", "instructionCasing", "instructionCmdMultiple",
    "instructionEntrypointMultiple", "instructionHealthcheckMultiple", "instructionJSONInSingleQuotes", "instructionWorkdirRelative"]
    .map((rule) => [rule, ValidationSeverity.ERROR]),
);

/** The .csproj files a project references, transitively, as paths relative to the repository root. */
function projectClosure(root, project, seen = new Set()) {
  if (seen.has(project)) return seen;
  seen.add(project);
  const full = path.join(root, project);
  if (!existsSync(full)) return seen;
  for (const match of readFileSync(full, "utf8").matchAll(/<ProjectReference\s+Include="([^"]+)"/g)) {
    const referenced = path.normalize(path.join(path.dirname(project), match[1].replaceAll("\\", "/")));
    projectClosure(root, referenced, seen);
  }
  return seen;
}

/** Instructions as { keyword, args, line } with continuation lines joined and comments dropped. */
function instructions(text) {
  const result = [];
  let pending = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === "" || line.trim().startsWith("#"))) return;
    if (pending !== null && line.trim().startsWith("#")) return;
    const content = pending === null ? { text: line, line: index + 1 } : { text: `${pending.text} ${line.trim()}`, line: pending.line };
    if (content.text.endsWith("\\")) {
      pending = { text: content.text.slice(0, -1), line: content.line };
      return;
    }
    pending = null;
    const [keyword, ...rest] = content.text.trim().split(/\s+/);
    result.push({ keyword: keyword.toUpperCase(), args: rest, line: content.line });
  });
  return result;
}

export function conventionProblems(root, file, text) {
  const problems = [];
  const steps = instructions(text);
  const stages = [];
  for (const step of steps) {
    if (step.keyword === "FROM") stages.push([]);
    else if (stages.length > 0) stages.at(-1).push(step);
  }
  const final = stages.at(-1) ?? [];
  const user = final.filter((s) => s.keyword === "USER").at(-1);
  if (!user) problems.push("final stage has no USER: the container would run as root");
  else if (/^(root|0)(:|$)/.test(user.args[0] ?? "")) problems.push(`line ${user.line}: final stage runs as ${user.args[0]}`);
  if (!final.some((s) => s.keyword === "HEALTHCHECK")) problems.push("final stage has no HEALTHCHECK");

  const copies = steps.filter((s) => (s.keyword === "COPY" || s.keyword === "ADD") && !s.args.some((a) => a.startsWith("--from")));
  const copied = new Set();
  for (const copy of copies) {
    const sources = copy.args.filter((a) => !a.startsWith("--")).slice(0, -1);
    for (const source of sources) {
      copied.add(path.normalize(source));
      if (!existsSync(path.join(root, source))) problems.push(`line ${copy.line}: COPY source ${source} does not exist in the build context (repository root)`);
    }
  }

  const restore = steps.find((s) => s.keyword === "RUN" && s.args[0] === "dotnet" && s.args[1] === "restore");
  if (restore) {
    const project = path.normalize(restore.args[2] ?? "");
    const restoreIndex = steps.indexOf(restore);
    const before = new Set(copies.filter((c) => steps.indexOf(c) < restoreIndex)
      .flatMap((c) => c.args.filter((a) => !a.startsWith("--")).slice(0, -1).map((a) => path.normalize(a))));
    for (const needed of projectClosure(root, project)) {
      if (!before.has(needed)) problems.push(`line ${restore.line}: dotnet restore needs ${needed}, which is not copied before it`);
    }
  }
  return problems;
}

export function checkDockerfile(root, file) {
  const text = readFileSync(path.join(root, file), "utf8");
  const lint = validate(text, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  return [
    ["dockerfile", `${file} (dockerfile-utils)`, lint],
    ["dockerfile", `${file} conventions`, conventionProblems(root, file, text)],
  ];
}
