/* Ticket workflows: the tenant's ticket configuration files (a workflow per ticket type, sla.yaml,
 * rules.yaml) with the version in force, one open in the shared YAML editor (yaml-editor.js). Admins save
 * with PUT /api/ticket-config/{name}; a refused text (422 invalid-config) has its problems listed and the
 * line highlighted. Supervisors read only (the textarea is read-only and there is no save button). Under the
 * editor, the open file's stored versions: who, when, and the lines each changed from the one before
 * (GET /api/ticket-config/{name}/versions; the first is compared with the shipped file). */
"use strict";
(function () {
  const { t, api } = Baiying;
  const $ = (id) => document.getElementById(id);
  if (!$("ticketcfg-source")) return;
  const editor = Baiying.yamlEditor("ticketcfg", {
    problem: "policy.problem",
    noline: "ticketcfg.problem.noline",
    cursor: "policy.cursor",
  });
  const path = (name) => "/api/ticket-config/" + name.split("/").map(encodeURIComponent).join("/");
  let opened = null;

  const versionText = (file) =>
    file.version ? t("policy.version", { version: file.version }) : t("ticketcfg.shipped");

  function changedText(file) {
    if (!file.updated_at) return "";
    const at = new Date(file.updated_at * 1000).toLocaleString(document.documentElement.lang);
    return (file.updated_by || "") + " · " + at;
  }

  async function list() {
    const files = await api("GET", "/api/ticket-config");
    const body = $("ticketcfg-table").tBodies[0];
    const { el } = Baiying.admin;
    body.replaceChildren(
      ...files.map((file) =>
        el(
          "tr",
          { "data-name": file.name, class: file.name === opened ? "open" : null },
          el("td", {}, el("button", { type: "button", class: "file", onclick: () => open(file.name) }, file.name)),
          el("td", {}, versionText(file)),
          el("td", {}, changedText(file))
        )
      )
    );
    return files;
  }

  async function open(name) {
    const file = await api("GET", path(name));
    opened = file.name;
    $("ticketcfg-name").textContent = file.name;
    $("ticketcfg-version").textContent = versionText(file);
    editor.setText(file.text);
    for (const row of $("ticketcfg-table").tBodies[0].rows) row.classList.toggle("open", row.dataset.name === opened);
    await history(file.name);
  }

  const DIFF_CLASSES = { "@": "hunk", "-": "del", "+": "add" };

  function diffOf(version) {
    const { el } = Baiying;
    const lines = version.diff.map((line) => el("span", { class: DIFF_CLASSES[line[0]] || "same", text: line + "\n" }));
    const first = version.version === 1 ? el("span", { class: "hunk", text: t("ticketcfg.history.first") + "\n" }) : null;
    return el("pre", { class: "change diff" }, first, ...lines);
  }

  async function history(name) {
    const versions = await api("GET", path(name) + "/versions");
    const { el } = Baiying;
    $("ticketcfg-history-title").textContent = t("ticketcfg.history", { name });
    $("ticketcfg-history-none").hidden = versions.length > 0;
    $("ticketcfg-history").hidden = versions.length === 0;
    $("ticketcfg-history").tBodies[0].replaceChildren(
      ...versions.map((version) =>
        el(
          "tr",
          { "data-version": version.version },
          el("td", { text: t("policy.version", { version: version.version }) }),
          el("td", { text: version.created_by }),
          el("td", { text: new Date(version.created_at * 1000).toLocaleString(document.documentElement.lang) }),
          el("td", {}, diffOf(version))
        )
      )
    );
  }

  /* A problem the whole configuration has in another file (a rule naming a transition a workflow
   * dropped) has no line in this text: it is listed with its own file and line. */
  function problemsOf(details) {
    const elsewhere = details.source && details.source !== opened;
    return details.problems.map((p) =>
      elsewhere
        ? { field: details.source + (p.line ? ":" + p.line : "") + " " + (p.field || ""), reason: p.reason, line: null }
        : p
    );
  }

  async function save() {
    const admin = Baiying.admin;
    if (!opened) return;
    try {
      const saved = await api("PUT", path(opened), { text: editor.text() });
      editor.clearProblems();
      const rematched = saved.rematched_tickets.length;
      admin.status(
        t("ticketcfg.saved", { name: saved.name, version: saved.version }) +
          (rematched ? " " + t("ticketcfg.rematched", { count: rematched }) : "")
      );
      $("ticketcfg-version").textContent = versionText(saved);
      await list();
      await history(saved.name);
    } catch (error) {
      if (error.code === "invalid-config" && error.details && error.details.problems) {
        $("admin-status").hidden = true;
        $("admin-error").hidden = true;
        editor.showProblems(problemsOf(error.details));
      } else {
        editor.clearProblems();
        admin.fail(error);
      }
    }
  }

  if ($("ticketcfg-save")) $("ticketcfg-save").addEventListener("click", save);

  Baiying.admin.loaders.workflows = async () => {
    const files = await list();
    const first = files.find((f) => f.name.startsWith("workflows/")) || files[0];
    if (first) await open(first.name);
  };
})();
