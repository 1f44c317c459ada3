/* Admin pages: sites (hours, holidays), teams, agents and skills, wrap-up codes, users and roles, the
 * audit log. Every change goes through the admin API (which audits it); the routing policy editor is
 * admin-policy.js. Baiying.admin holds what both share. */
"use strict";
(function () {
  const { t, api, page } = Baiying;
  const $ = (id) => document.getElementById(id);
  const sections = page.sections.map((s) => s.id);
  const editable = new Set(page.sections.filter((s) => s.edit).map((s) => s.id));
  const loaded = {};
  const cache = { sites: [], teams: [], agents: [] };

  /* ---- feedback ---- */
  function status(text) {
    const box = $("admin-status");
    box.textContent = text;
    box.hidden = !text;
    $("admin-error").hidden = true;
  }

  function fail(error) {
    const box = $("admin-error");
    $("admin-status").hidden = true;
    // The API's message names each field that was refused (e.g. "body.skills.billing: ...").
    box.textContent = t("error.generic", { message: error.message || String(error) });
    box.hidden = false;
  }

  async function attempt(work, done) {
    try {
      await work();
      status(done || t("admin.saved"));
      return true;
    } catch (error) {
      fail(error);
      return false;
    }
  }

  /* ---- small DOM helpers ---- */
  const { el } = Baiying;

  function fill(tableId, rows, cells) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    if (!rows.length) {
      const columns = $(tableId).tHead.rows[0].cells.length;
      body.append(el("tr", {}, el("td", { colspan: columns, class: "muted" }, t("admin.none"))));
      return;
    }
    for (const row of rows) body.append(el("tr", {}, ...cells(row).map((cell) => el("td", {}, cell))));
  }

  function button(text, onclick, cls) {
    return el("button", { type: "button", class: cls || null, onclick }, text);
  }

  function options(select, rows, blank) {
    const keep = select.value;
    select.replaceChildren();
    if (blank) select.append(el("option", { value: "" }, t("admin.field.none")));
    for (const row of rows) select.append(el("option", { value: row.id }, row.name ? row.id + " · " + row.name : row.id));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }

  function refreshChoices() {
    document.querySelectorAll("select.site-options").forEach((s) => options(s, cache.sites, s.id !== "agent-site"));
    document.querySelectorAll("select.team-options").forEach((s) => options(s, cache.teams, true));
    const agents = cache.agents.map((a) => ({ id: a.id, name: a.display_name }));
    document.querySelectorAll("select.agent-options").forEach((s) => options(s, agents, true));
  }

  const hhmm = (minute) =>
    minute === null || minute === undefined
      ? ""
      : String(Math.floor(minute / 60) % 24).padStart(2, "0") + ":" + String(minute % 60).padStart(2, "0");
  const minutes = (text) => (text ? Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5)) : null);
  const editing = (section) => editable.has(section);

  /* ---- sites ---- */
  async function loadSites() {
    cache.sites = await api("GET", "/api/sites");
    const holidays = {};
    await Promise.all(
      cache.sites.map(async (site) => {
        holidays[site.id] = await api("GET", "/api/sites/" + encodeURIComponent(site.id) + "/holidays");
      })
    );
    fill("sites-table", cache.sites, (site) => [
      site.id + (site.hq ? " (" + t("site.hq") + ")" : ""),
      site.name,
      site.timezone,
      site.opens_minute === null ? t("site.always") : hhmm(site.opens_minute) + "–" + hhmm(site.closes_minute),
      site.languages.join(", "),
      holidays[site.id].map((h) => h.day + " " + h.name).join("; "),
      editing("sites") ? button(t("admin.edit"), () => editSite(site, holidays[site.id])) : "",
    ]);
    refreshChoices();
  }

  function editSite(site, holidays) {
    $("site-id").value = site.id;
    $("site-id").readOnly = true;
    $("site-name").value = site.name;
    $("site-timezone").value = site.timezone;
    $("site-opens").value = hhmm(site.opens_minute);
    $("site-closes").value = hhmm(site.closes_minute);
    $("site-holidays").value = holidays.map((h) => h.day + " " + h.name).join("\n");
    $("site-name").focus();
  }

  function parseHolidays(text) {
    const found = [];
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (!line) return;
      const match = /^(\d{4}-\d{2}-\d{2})\s+(.+)$/.exec(line);
      if (!match) throw { message: t("site.holidays.bad", { line: index + 1 }) };
      found.push({ day: match[1], name: match[2].trim() });
    });
    return found;
  }

  function wireSites() {
    const form = $("site-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = $("site-id").value.trim();
      const exists = cache.sites.some((s) => s.id === id);
      const body = {
        name: $("site-name").value,
        timezone: $("site-timezone").value.trim(),
        opens_minute: minutes($("site-opens").value),
        closes_minute: minutes($("site-closes").value),
      };
      const ok = await attempt(async () => {
        const holidays = parseHolidays($("site-holidays").value);
        const path = "/api/sites/" + encodeURIComponent(id);
        if (exists) await api("PATCH", path, body);
        else await api("POST", "/api/sites", { id, ...body });
        await api("PUT", path + "/holidays", { holidays });
      });
      if (ok) {
        form.reset();
        $("site-id").readOnly = false;
      }
      await loadSites();
    });
  }

  /* ---- teams ---- */
  async function loadTeams() {
    cache.teams = await api("GET", "/api/teams");
    fill("teams-table", cache.teams, (team) => [
      team.id,
      team.name,
      team.site_id || "",
      editing("teams") ? button(t("admin.delete"), () => remove("/api/teams/", team.id, loadTeams), "danger") : "",
    ]);
    refreshChoices();
  }

  async function remove(prefix, id, reload) {
    if (!confirm(t("admin.confirm.delete", { what: id }))) return;
    await attempt(() => api("DELETE", prefix + encodeURIComponent(id)), t("admin.deleted"));
    await reload();
  }

  function wireTeams() {
    const form = $("team-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { id: $("team-id").value.trim(), name: $("team-name").value, site_id: $("team-site").value || null };
      if (await attempt(() => api("POST", "/api/teams", body))) form.reset();
      await loadTeams();
    });
  }

  /* ---- agents and skills ---- */
  const skillText = (skills) =>
    Object.entries(skills)
      .map(([name, level]) => name + ":" + level)
      .join(", ");

  function parseSkills(text) {
    const skills = {};
    for (const part of text.split(/[,，\s]+/)) {
      if (!part) continue;
      const match = /^(.+):(\d+)$/.exec(part);
      const level = match ? Number(match[2]) : 0;
      if (!match || level < 1 || level > 10) throw { message: t("agent.skills.bad", { skill: part }) };
      skills[match[1]] = level;
    }
    return skills;
  }

  async function loadAgents() {
    cache.agents = await api("GET", "/api/agents");
    fill("agents-table", cache.agents, (agent) => [
      agent.id,
      agent.display_name,
      agent.site_id,
      agent.team_id || "",
      skillText(agent.skills),
      agent.active ? t("admin.yes") : t("admin.no"),
      editing("agents") ? button(t("admin.edit"), () => editAgent(agent)) : "",
    ]);
    refreshChoices();
  }

  function editAgent(agent) {
    $("agent-id").value = agent.id;
    $("agent-id").readOnly = true;
    $("agent-name").value = agent.display_name;
    $("agent-site").value = agent.site_id;
    $("agent-team").value = agent.team_id || "";
    $("agent-skills").value = skillText(agent.skills);
    $("agent-active").checked = agent.active;
    $("agent-skills").focus();
  }

  function wireAgents() {
    const form = $("agent-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const id = $("agent-id").value.trim();
      const exists = cache.agents.some((a) => a.id === id);
      const record = {
        display_name: $("agent-name").value,
        site_id: $("agent-site").value,
        team_id: $("agent-team").value || null,
        active: $("agent-active").checked,
      };
      const ok = await attempt(async () => {
        const skills = parseSkills($("agent-skills").value);
        const path = "/api/agents/" + encodeURIComponent(id);
        if (exists) {
          await api("PATCH", path, record);
          await api("PUT", path + "/skills", { skills });
        } else {
          await api("POST", "/api/agents", { id, ...record, skills });
        }
      });
      if (ok) {
        form.reset();
        $("agent-id").readOnly = false;
      }
      await loadAgents();
    });
  }

  /* ---- wrap-up codes ---- */
  async function loadCodes() {
    const codes = await api("GET", "/api/wrap-up-codes");
    fill("codes-table", codes, (code) => [
      code.code,
      code.label,
      code.active ? t("admin.yes") : t("admin.no"),
      editing("codes")
        ? button(code.active ? t("code.deactivate") : t("code.activate"), async () => {
            await attempt(() => api("PATCH", "/api/wrap-up-codes/" + encodeURIComponent(code.code), { active: !code.active }));
            await loadCodes();
          })
        : "",
    ]);
  }

  function wireCodes() {
    const form = $("code-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { code: $("code-code").value.trim(), label: $("code-label").value };
      if (await attempt(() => api("POST", "/api/wrap-up-codes", body))) form.reset();
      await loadCodes();
    });
  }

  /* ---- users and roles ---- */
  const roleText = (grant) =>
    t("role." + grant.role) + (grant.site_id ? " @" + grant.site_id : "") + (grant.agent_id ? " → " + grant.agent_id : "");

  function grantOf() {
    return { role: $("user-role").value, site_id: $("user-site").value || null, agent_id: $("user-agent").value || null };
  }

  async function loadUsers() {
    const users = await api("GET", "/api/users");
    fill("users-table", users, (user) => [
      user.login,
      user.display_name,
      user.roles.map(roleText).join(", "),
      user.active ? t("admin.yes") : t("admin.no"),
      editing("users")
        ? el(
            "span",
            { class: "buttons" },
            button(t("user.set-roles"), async () => {
              await attempt(() => api("PUT", "/api/users/" + encodeURIComponent(user.id) + "/roles", { roles: [grantOf()] }));
              await loadUsers();
            }),
            button(user.active ? t("code.deactivate") : t("code.activate"), async () => {
              await attempt(() => api("PATCH", "/api/users/" + encodeURIComponent(user.id), { active: !user.active }));
              await loadUsers();
            })
          )
        : "",
    ]);
  }

  function wireUsers() {
    const form = $("user-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        id: $("user-id").value.trim(),
        login: $("user-login").value.trim(),
        display_name: $("user-name").value,
        password: $("user-password").value || null,
        roles: [grantOf()],
      };
      if (await attempt(() => api("POST", "/api/users", body))) form.reset();
      await loadUsers();
    });
  }

  /* ---- audit log ---- */
  function change(entry) {
    const before = entry.before || {};
    const after = entry.after || {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const show = (value) => (value === undefined ? "∅" : JSON.stringify(value));
    const parts = keys
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      .map((key) => key + ": " + (multiline(before[key], after[key]) || show(before[key]) + " → " + show(after[key])));
    return parts.join("\n");
  }

  /* A text of several lines (a policy's YAML): the lines taken out (-) and put in (+). */
  function multiline(before, after) {
    if (typeof after !== "string" || !after.includes("\n")) return null;
    const old = typeof before === "string" ? before.split("\n") : [];
    const now = after.split("\n");
    const removed = old.filter((line) => line.trim() && !now.includes(line)).map((line) => "- " + line);
    const added = now.filter((line) => line.trim() && !old.includes(line)).map((line) => "+ " + line);
    return "\n" + [...removed, ...added].join("\n");
  }

  async function loadAudit() {
    const entity = $("audit-entity").value;
    const entries = await api("GET", "/api/audit?limit=100" + (entity ? "&entity=" + encodeURIComponent(entity) : ""));
    fill("audit-table", entries, (entry) => [
      new Date(entry.at * 1000).toLocaleString(document.documentElement.lang),
      entry.actor,
      entry.action,
      entry.entity + " " + entry.entity_id,
      el("span", { class: "change" }, change(entry)),
    ]);
  }

  function wireAudit() {
    if (!$("audit-table")) return;
    $("audit-refresh").addEventListener("click", () => loadAudit().catch(fail));
    $("audit-entity").addEventListener("change", () => loadAudit().catch(fail));
  }

  /* ---- tabs ---- */
  const loaders = { sites: loadSites, teams: loadTeams, agents: loadAgents, codes: loadCodes, users: loadUsers, audit: loadAudit };

  async function show(section) {
    for (const id of sections) {
      $("section-" + id).hidden = id !== section;
      $("tab-" + id).setAttribute("aria-selected", String(id === section));
    }
    if (history.replaceState) history.replaceState(null, "", "#" + section);
    try {
      // The forms name sites, teams and agents: have them whichever tab opens first.
      if (!loaded.choices) {
        loaded.choices = true;
        const [sites, teams, agents] = await Promise.all(
          ["/api/sites", "/api/teams", "/api/agents"].map((path) => api("GET", path).catch(() => []))
        );
        Object.assign(cache, { sites, teams, agents });
        refreshChoices();
      }
      if (section === "audit" || !loaded[section]) {
        loaded[section] = true;
        const load = loaders[section] || Baiying.admin.loaders[section];
        if (load) await load();
      }
    } catch (error) {
      fail(error);
    }
  }

  Baiying.admin = { status, fail, attempt, el, show, loaders: {} };

  document.addEventListener("DOMContentLoaded", () => {
    wireSites();
    wireTeams();
    wireAgents();
    wireCodes();
    wireUsers();
    wireAudit();
    for (const id of sections) $("tab-" + id).addEventListener("click", () => show(id));
    const wanted = location.hash.slice(1);
    if (sections.length) show(sections.includes(wanted) ? wanted : sections[0]);
  });
})();
