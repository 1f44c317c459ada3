/* A YAML editor shared by the admin sections (routing policies, ticket workflows): a textarea with line
 * numbers in a gutter. When the API refuses a text (422 invalid-config), each problem is listed with its
 * line and field, the first problem's line is highlighted in the gutter and the text, and the caret is
 * put there; clicking a problem goes to its line.
 *
 * Baiying.yamlEditor(prefix, keys) wires the elements `{prefix}-source`, `-gutter`, `-line-mark`,
 * `-problems` (holding a <ul>) and `-cursor`; `keys` names the messages for a problem with and without a
 * line and for the caret's position. */
"use strict";
(function () {
  const { t } = Baiying;

  Baiying.yamlEditor = function (prefix, keys) {
    const $ = (name) => document.getElementById(prefix + "-" + name);
    const source = $("source");
    const gutter = $("gutter");
    const mark = $("line-mark");
    const problemsBox = $("problems");
    const cursor = $("cursor");
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
      cursor.textContent = t(keys.cursor, { line: before.length, column: before[before.length - 1].length + 1 });
    }

    function clearProblems() {
      errorLines = new Set();
      mark.dataset.line = "";
      problemsBox.hidden = true;
      problemsBox.querySelector("ul").replaceChildren();
      paintGutter();
    }

    /* Problems without a line (the whole text, or another file) are listed but mark nothing. */
    function showProblems(problems) {
      const list = problemsBox.querySelector("ul");
      list.replaceChildren();
      errorLines = new Set(problems.filter((p) => p.line).map((p) => p.line));
      for (const problem of problems) {
        const item = document.createElement("li");
        const field = problem.field ? problem.field + ":" : "";
        item.textContent = problem.line
          ? t(keys.problem, { line: problem.line, field, reason: problem.reason })
          : t(keys.noline, { field, reason: problem.reason });
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

    function setText(text) {
      source.value = text;
      source.scrollTop = 0;
      clearProblems();
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

    return { text: () => source.value, setText, clearProblems, showProblems };
  };
})();
