/* The supervisor wallboard: tiles for the tenant, each site and each queue from the wallboard stream
 * (GET /api/wallboard/stream, a snapshot a second); the sites with their status and an "evacuate"
 * control (PUT /api/sites/{id}/status, after a confirmation dialog); the logged-in agents with their
 * state and time in state (GET /wallboard/agents, every 2 s) and a force-state control
 * (PUT /api/agents/{id}/forced-state); today's volume and service level by interval, as seen since the
 * page opened. */
"use strict";
(function () {
  const { t, api, stream, page, duration, clockTime, showError, skew } = window.Baiying;
  const $ = (id) => document.getElementById(id);
  const siteNames = new Map(page.sites.map((s) => [s.id, s.name]));
  const siteStatus = new Map(page.sites.map((s) => [s.id, s.status]));
  const STATES = ["ready", "reserved", "busy", "wrap-up", "aux"];
  let agents = [];
  let lastStats = null;
  let renderedAgents = "";

  function percent(ratio) {
    return typeof ratio === "number" ? Math.round(ratio * 100) + "%" : "—";
  }
  function seconds(value) {
    return typeof value === "number" ? duration(value) : "—";
  }

  /* A site with nothing to count (no contact today, nobody logged in) is absent from the snapshot. */
  const EMPTY = {
    waiting: 0,
    longest_wait_seconds: null,
    agents: {},
    today: { service_level: null, asa_seconds: null, abandoned: 0, offered: 0 },
    interval: { service_level: null },
  };

  function tile(key, title, figures, status) {
    const element = document.createElement("article");
    element.className = "tile";
    element.dataset.tile = key;
    const heading = document.createElement("h3");
    heading.textContent = title;
    if (status) {
      const badge = document.createElement("span");
      badge.className = "badge site-status";
      badge.dataset.status = status;
      badge.textContent = t("site." + status);
      heading.append(" ", badge);
    }
    element.append(heading);
    const grid = document.createElement("dl");
    const fields = [
      ["waiting", "board.waiting", String(figures.waiting)],
      ["longest", "board.longest", seconds(figures.longest_wait_seconds)],
      ["sl-today", "board.sl.today", percent(figures.today.service_level)],
      ["sl-interval", "board.sl.interval", percent(figures.interval.service_level)],
      ["asa", "board.asa", seconds(figures.today.asa_seconds)],
      ["abandoned", "board.abandoned", String(figures.today.abandoned)],
      ["offered", "board.offered", String(figures.today.offered)],
    ];
    for (const [name, label, value] of fields) {
      const dt = document.createElement("dt");
      dt.textContent = t(label);
      const dd = document.createElement("dd");
      dd.dataset.field = name;
      dd.textContent = value;
      grid.append(dt, dd);
    }
    element.append(grid);
    const states = document.createElement("p");
    states.className = "agent-states";
    states.dataset.field = "agents";
    for (const state of STATES) {
      const count = figures.agents[state] || 0;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.state = state;
      badge.textContent = t("state." + state) + " " + count;
      states.append(badge);
    }
    element.append(states);
    return element;
  }

  function renderStats(stats) {
    skew.seen(stats.at);
    $("board-updated").textContent = t("board.updated", { time: clockTime(stats.at) });
    lastStats = stats;
    const sites = $("tiles-sites");
    sites.replaceChildren();
    if (stats.total) sites.append(tile("total", t("board.total"), stats.total));
    const ids = new Set([...siteNames.keys(), ...Object.keys(stats.sites)]);
    for (const id of [...ids].sort()) {
      sites.append(tile("site:" + id, siteNames.get(id) || id, stats.sites[id] || EMPTY, siteStatus.get(id)));
    }
    const queues = $("tiles-queues");
    queues.replaceChildren();
    for (const id of Object.keys(stats.queues).sort()) {
      queues.append(tile("queue:" + id, id, stats.queues[id]));
    }
    $("board-none").hidden = sites.children.length > 0;
    chart.add(stats);
  }

  /* Today by interval: the tenant's past intervals from GET /wallboard/intraday (once a minute), the
   * current one from the stream. A supervisor of some sites only (no tenant-wide figures) sees their first
   * site's intervals as the page saw them. */
  const chart = {
    points: new Map(),
    instance: null,
    add(stats) {
      const figures = stats.total || stats.sites[Object.keys(stats.sites).sort()[0]];
      if (!figures) return;
      this.points.set(stats.interval_start, {
        offered: figures.interval.offered,
        sl: figures.interval.service_level,
      });
      this.draw();
    },
    async load() {
      try {
        for (const point of await api("GET", "/wallboard/intraday")) {
          this.points.set(point.start, { offered: point.offered, sl: point.service_level });
        }
        this.draw();
      } catch (failure) {
        if (failure.status !== 403) {
          showError($("board-error"), failure);
          return true; // try again later
        }
        $("chart-title").textContent = t("board.chart.session");
        return false;
      }
      return true;
    },
    draw() {
      if (typeof window.Chart === "undefined") return;
      const starts = [...this.points.keys()].sort((a, b) => a - b);
      const labels = starts.map((s) => clockTime(s));
      const volume = starts.map((s) => this.points.get(s).offered);
      const sl = starts.map((s) => {
        const value = this.points.get(s).sl;
        return typeof value === "number" ? Math.round(value * 100) : null;
      });
      if (!this.instance) {
        this.instance = new window.Chart($("intraday"), {
          data: {
            labels,
            datasets: [
              { type: "bar", label: t("board.chart.volume"), data: volume, yAxisID: "y" },
              { type: "line", label: t("board.chart.sl"), data: sl, yAxisID: "sl" },
            ],
          },
          options: {
            animation: false,
            maintainAspectRatio: false,
            scales: {
              y: { beginAtZero: true, position: "left" },
              sl: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } },
            },
          },
        });
        return;
      }
      this.instance.data.labels = labels;
      this.instance.data.datasets[0].data = volume;
      this.instance.data.datasets[1].data = sl;
      this.instance.update();
    },
  };

  // ---- sites --------------------------------------------------------------------------------------
  function renderSites(rows) {
    let changed = false;
    for (const site of rows) {
      if (siteStatus.get(site.id) !== site.status) changed = true;
      siteStatus.set(site.id, site.status);
      const row = document.querySelector('#site-list tr[data-site="' + CSS.escape(site.id) + '"]');
      if (!row) continue;
      const badge = row.querySelector(".site-status");
      badge.dataset.status = site.status;
      badge.textContent = t("site." + site.status);
      const evacuate = row.querySelector(".evacuate");
      const reopen = row.querySelector(".reopen");
      if (evacuate) evacuate.hidden = site.status === "evacuated";
      if (reopen) reopen.hidden = site.status === "open";
    }
    if (changed && lastStats) renderStats(lastStats);
  }

  async function refreshSites() {
    try {
      renderSites(await api("GET", "/api/sites"));
    } catch (failure) {
      showError($("board-error"), failure);
    }
  }

  async function setSiteStatus(site, status) {
    showError($("board-error"), null);
    try {
      renderSites([await api("PUT", "/api/sites/" + encodeURIComponent(site) + "/status", { status })]);
    } catch (failure) {
      showError($("board-error"), failure);
    }
  }

  const dialog = $("evacuate-dialog");
  let pendingSite = null;
  document.querySelectorAll("#site-list .evacuate").forEach((button) => {
    button.addEventListener("click", () => {
      pendingSite = button.dataset.site;
      $("evacuate-title").textContent = t("sites.confirm.title", { site: button.dataset.name });
      dialog.returnValue = "";
      dialog.showModal();
    });
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "confirm" && pendingSite) setSiteStatus(pendingSite, "evacuated");
    pendingSite = null;
  });
  document.querySelectorAll("#site-list .reopen").forEach((button) => {
    button.addEventListener("click", () => setSiteStatus(button.dataset.site, "open"));
  });

  // ---- agents -------------------------------------------------------------------------------------
  function forceControl(agent) {
    const cell = document.createElement("td");
    if (!agent.can_force) return cell;
    const select = document.createElement("select");
    select.setAttribute("aria-label", t("agents.force"));
    const options = [["ready", t("state.ready")]];
    for (const reason of page.aux) options.push(["aux:" + reason, t("state.aux") + " · " + t("aux." + reason)]);
    options.push(["offline", t("state.offline")]);
    for (const [value, label] of options) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.append(option);
    }
    const apply = document.createElement("button");
    apply.type = "button";
    apply.className = "force";
    apply.textContent = t("agents.force.submit");
    apply.addEventListener("click", async () => {
      const [state, reason] = select.value.split(":");
      const body = reason ? { state, reason } : { state };
      showError($("board-error"), null);
      try {
        await api("PUT", "/api/agents/" + encodeURIComponent(agent.id) + "/forced-state", body);
        refreshAgents();
      } catch (failure) {
        showError($("board-error"), failure);
      }
    });
    cell.append(select, apply);
    return cell;
  }

  function renderAgents() {
    const body = document.querySelector("#agent-list tbody");
    body.replaceChildren();
    for (const agent of agents) {
      const row = document.createElement("tr");
      row.dataset.agent = agent.id;
      const name = document.createElement("td");
      name.textContent = agent.id;
      const site = document.createElement("td");
      site.textContent = siteNames.get(agent.site) || agent.site;
      const state = document.createElement("td");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.state = agent.state;
      badge.textContent = t("state." + agent.state) + (agent.reason ? " · " + reasonLabel(agent.reason) : "");
      state.append(badge);
      const since = document.createElement("td");
      since.className = "since";
      since.dataset.since = String(agent.since);
      row.append(name, site, state, since, forceControl(agent));
      body.append(row);
    }
    $("agents-none").hidden = agents.length > 0;
    tickAgents();
  }

  function reasonLabel(reason) {
    const key = "aux." + reason;
    const label = t(key);
    return label === key ? reason : label;
  }

  function tickAgents() {
    const now = skew.now();
    for (const cell of document.querySelectorAll("#agent-list td.since")) {
      cell.textContent = duration(now - Number(cell.dataset.since));
    }
  }

  async function refreshAgents() {
    try {
      agents = await api("GET", "/wallboard/agents");
      const fresh = JSON.stringify(agents);
      if (fresh !== renderedAgents && !document.querySelector("#agent-list select:focus")) {
        renderedAgents = fresh;
        renderAgents();
      }
    } catch (failure) {
      showError($("board-error"), failure);
    }
  }

  stream("/api/wallboard/stream", {
    message(message) {
      if (message.type === "stats") renderStats(message);
      else if (message.type === "error") showError($("board-error"), message.error);
    },
    open() {
      refreshSites();
      refreshAgents();
    },
  });
  chart.load().then((tenantWide) => {
    if (tenantWide) setInterval(() => chart.load(), 60_000);
  });
  refreshAgents();
  setInterval(refreshAgents, 2000);
  setInterval(refreshSites, 5000);
  setInterval(tickAgents, 1000);
})();
