/* The routing policy editor: the policy's YAML in a textarea with line numbers. Saving sends it to
 * PUT /api/policies/{id}; when the API refuses it (422 invalid-config), each problem is listed with its
 * line and field, and the first problem's line is highlighted in the gutter and the text, with the caret
 * put there. Clicking a problem goes to its line. */
"use strict";
(function () {
  const { t, api } = Baiying;
  const $ = (id) => document.getElementById(id);
  const source = $("policy-source");
  if (!source) return;
  const gutter = $("policy-gutter");
  const mark = $("policy-line-mark");
  const problemsBox = $("policy-problems");
  const pick = $("policy-pick");
  const newId = $("policy-new-id");
  const NEW = "\u0000new";
  let policies = [];
  let errorLines = new Set();

  function lineHeight() {
    return parseFloat(getComputedStyle(source).lineHeight) || 20;
  }

  function paintGutter() {
    const count = source.value.split("\n").length;
    const lines = [];
    for (let n = 1; n <= count; n++) {
      const span = document.createElement("span");
      span.dataset.line = String(n);
      span.textContent = String(n);
      if (errorLines.has(n)) span.className = "error-line";
      lines.push(span, "\n");
    }
    gutter.replaceChildren(...lines);
    gutter.scrollTop = source.scrollTop;
    placeMark();
  }

  function placeMark() {
    const line = Number(mark.dataset.line || 0);
    mark.hidden = !line;
    if (!line) return;
    const padding = parseFloat(getComputedStyle(source).paddingTop) || 0;
    mark.style.top = padding + (line - 1) * lineHeight() - source.scrollTop + "px";
    mark.style.height = lineHeight() + "px";
  }

  function goToLine(line) {
    const lines = source.value.split("\n");
    const index = Math.max(0, Math.min(line, lines.length) - 1);
    const start = lines.slice(0, index).reduce((sum, text) => sum + text.length + 1, 0);
    source.focus();
    source.setSelectionRange(start, start + lines[index].length);
    const top = index * lineHeight();
    if (top < source.scrollTop || top > source.scrollTop + source.clientHeight - lineHeight()) {
      source.scrollTop = Math.max(0, top - source.clientHeight / 2);
    }
    showCursor();
    placeMark();
  }

  function showCursor() {
    const before = source.value.slice(0, source.selectionStart).split("\n");
    $("policy-cursor").textContent = t("policy.cursor", {
      line: before.length,
      column: before[before.length - 1].length + 1,
    });
  }

  function clearProblems() {
    errorLines = new Set();
    mark.dataset.line = "";
    problemsBox.hidden = true;
    problemsBox.querySelector("ul").replaceChildren();
    paintGutter();
  }

  function showProblems(problems) {
    const list = problemsBox.querySelector("ul");
    list.replaceChildren();
    errorLines = new Set(problems.filter((p) => p.line).map((p) => p.line));
    for (const problem of problems) {
      const item = document.createElement("li");
      const field = problem.field ? problem.field + ":" : "";
      item.textContent = problem.line
        ? t("policy.problem", { line: problem.line, field, reason: problem.reason })
        : t("policy.problem.noline", { field, reason: problem.reason });
      if (problem.line) {
        item.dataset.line = String(problem.line);
        item.classList.add("goto");
        item.addEventListener("click", () => {
          mark.dataset.line = String(problem.line);
          goToLine(problem.line);
        });
      }
      list.append(item);
    }
    problemsBox.hidden = false;
    const first = problems.find((p) => p.line);
    mark.dataset.line = first ? String(first.line) : "";
    paintGutter();
    if (first) goToLine(first.line);
  }

  function current() {
    return pick.value === NEW ? newId.value.trim() : pick.value;
  }

  function choose(id) {
    const found = policies.find((p) => p.id === id);
    newId.hidden = Boolean(found);
    source.value = found ? found.source : "id: \nsteps:\n  - target: {skills: {}}\n";
    $("policy-version").textContent = found ? t("policy.version", { version: found.version }) : "";
    clearProblems();
  }

  async function load(selected) {
    policies = await api("GET", "/api/policies");
    pick.replaceChildren();
    for (const policy of policies) pick.append(new Option(policy.id, policy.id));
    if ($("policy-save")) pick.append(new Option(t("admin.new"), NEW));
    pick.value = selected && policies.some((p) => p.id === selected) ? selected : policies.length ? policies[0].id : NEW;
    choose(pick.value);
  }

  async function save() {
    const id = current();
    const admin = Baiying.admin;
    try {
      const saved = await api("PUT", "/api/policies/" + encodeURIComponent(id), { yaml: source.value });
      clearProblems();
      admin.status(
        t("policy.saved", { id: saved.id, version: saved.version }) +
          " " +
          t(saved.routing_applied ? "policy.applied" : "policy.pending")
      );
      $("admin-error").hidden = true;
      await load(saved.id);
    } catch (error) {
      if (error.code === "invalid-config" && error.details && error.details.problems) {
        $("admin-status").hidden = true;
        showProblems(error.details.problems);
      } else {
        clearProblems();
        admin.fail(error);
      }
    }
  }

  source.addEventListener("input", () => {
    paintGutter();
    showCursor();
  });
  source.addEventListener("scroll", () => {
    gutter.scrollTop = source.scrollTop;
    placeMark();
  });
  source.addEventListener("keyup", showCursor);
  source.addEventListener("click", showCursor);
  source.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !source.readOnly) {
      event.preventDefault(); // YAML wants spaces: Tab indents by two instead of leaving the editor
      source.setRangeText("  ", source.selectionStart, source.selectionEnd, "end");
      paintGutter();
    }
  });
  pick.addEventListener("change", () => choose(pick.value));
  if ($("policy-save")) $("policy-save").addEventListener("click", save);

  Baiying.admin.loaders.policies = () => load(null);
})();
