// One line per check: "ok", "FAIL" or "note", a check name, a subject and, for failures, why.
export class Report {
  failures = 0;

  ok(check, subject, detail) {
    this.#line("ok   ", check, subject, detail);
  }

  fail(check, subject, message) {
    this.failures++;
    this.#line("FAIL ", check, subject, message);
  }

  note(check, subject, message) {
    this.#line("note ", check, subject, message);
  }

  /** Runs a list of rule results: an empty list is a pass, otherwise one FAIL line per problem. */
  rules(check, subject, problems, detail) {
    if (problems.length === 0) {
      this.ok(check, subject, detail);
    } else {
      for (const problem of problems) this.fail(check, subject, problem);
    }
  }

  #line(status, check, subject, detail) {
    // One line each, whatever the tool said: multi-line messages are folded.
    const folded = String(detail ?? "").replace(/\s*\n\s*/g, " ").trim();
    const text = `${status} ${check.padEnd(10)} ${subject}${folded ? `: ${folded}` : ""}`;
    console.log(text);
  }
}
