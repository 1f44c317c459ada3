/* The routing policy editor: the policy's YAML in the shared editor (yaml-editor.js). Saving sends it to
 * PUT /api/policies/{id}; when the API refuses it (422 invalid-config), the editor lists each problem
 * and highlights its line. */
"use strict";
(function () {
  const { t, api } = Baiying;
  const $ = (id) => document.getElementById(id);
  if (!$("policy-source")) return;
  const editor = Baiying.yamlEditor("policy", {
    problem: "policy.problem",
    noline: "policy.problem.noline",
    cursor: "policy.cursor",
  });
  const pick = $("policy-pick");
  const newId = $("policy-new-id");
  const NEW = "\u0000new";
  let policies = [];

  function current() {
    return pick.value === NEW ? newId.value.trim() : pick.value;
  }

  function choose(id) {
    const found = policies.find((p) => p.id === id);
    newId.hidden = Boolean(found);
    editor.setText(found ? found.source : "id: \nsteps:\n  - target: {skills: {}}\n");
    $("policy-version").textContent = found ? t("policy.version", { version: found.version }) : "";
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
      const saved = await api("PUT", "/api/policies/" + encodeURIComponent(id), { yaml: editor.text() });
      editor.clearProblems();
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
        editor.showProblems(error.details.problems);
      } else {
        editor.clearProblems();
        admin.fail(error);
      }
    }
  }

  pick.addEventListener("change", () => choose(pick.value));
  if ($("policy-save")) $("policy-save").addEventListener("click", save);

  Baiying.admin.loaders.policies = () => load(null);
})();
