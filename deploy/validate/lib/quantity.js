// Kubernetes resource quantities ("100m", "1", "256Mi", "1.5G") as plain numbers, for comparing
// requests with limits. Returns NaN for anything it does not understand.
const suffixes = {
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function parseQuantity(value) {
  if (typeof value === "number") return value;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(value).trim());
  if (!match || !(match[2] in suffixes)) return Number.NaN;
  return Number(match[1]) * suffixes[match[2]];
}

/** "00:00:40" (a .NET TimeSpan, as HostOptions__ShutdownTimeout takes it) in seconds, or NaN. */
export function parseTimeSpanSeconds(value) {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(String(value ?? "").trim());
  if (!match) return Number.NaN;
  const [, days = "0", hours, minutes, seconds] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
}
