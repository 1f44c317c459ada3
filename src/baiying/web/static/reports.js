/* Reports over a date range: the KPI tables (interval, day, queue, site, agent) from /api/reports/kpis,
 * first-contact resolution, ticket SLA attainment and offer conversion from /api/reports/fcr,
 * sla-attainment and offer-conversion (the same period and sites), two charts (Chart.js, vendored) and a
 * CSV link per table (the server writes the CSV). */
"use strict";
(function () {
  const { t, api, page, duration } = Baiying;
  const $ = (id) => document.getElementById(id);
  const charts = {};

  const percent = (value) => (value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%");
  const seconds = (value) => (value === null || value === undefined ? "—" : duration(value));
  const plain = (value) => (value === null || value === undefined ? "—" : String(value));
  const RATIOS = new Set(["service_level", "abandon_rate", "occupancy", "rate", "attainment", "conversion_rate"]);
  const DURATIONS = new Set(["asa_seconds", "aht_seconds", "staffed_seconds"]);
  const format = (column, value) => (RATIOS.has(column) ? percent(value) : DURATIONS.has(column) ? seconds(value) : plain(value));

  const MEASURES = ["offered", "answered", "abandoned", "service_level", "asa_seconds", "aht_seconds", "occupancy"];
  const COLUMNS = {
    intervals: ["start", ...MEASURES],
    days: ["day", ...MEASURES],
    queues: ["queue_id", ...MEASURES.filter((c) => c !== "occupancy")],
    sites: ["site_id", ...MEASURES],
    agents: ["agent_id", "site_id", "answered", "handled", "aht_seconds", "occupancy", "staffed_seconds"],
    fcr: ["handled", "resolved_first_time", "repeated", "pending", "rate", "window_hours"],
    sla: ["policy", "metric", "fulfilled", "met", "breached", "attainment"],
    conversion: ["offer_id", "shown", "accepted", "declined", "later", "conversion_rate"],
  };
  const HEADINGS = { rate: "report.col.fcr" };

  function localDay(date) {
    // YYYY-MM-DD of `date` in the tenant's time zone (en-CA writes dates that way)
    return new Intl.DateTimeFormat("en-CA", { timeZone: page.timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
  }

  function intervalLabel(iso) {
    return iso.slice(5, 10) + " " + iso.slice(11, 16); // local time as the server wrote it
  }

  function table(name, rows) {
    const element = $("table-" + name);
    const columns = COLUMNS[name];
    const head = document.createElement("tr");
    for (const column of columns) {
      const th = document.createElement("th");
      th.textContent = t(HEADINGS[column] || "report.col." + column);
      head.append(th);
    }
    element.tHead.replaceChildren(head);
    const body = element.tBodies[0];
    body.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const column of columns) {
        const td = document.createElement("td");
        td.dataset.column = column;
        td.textContent = column === "start" ? intervalLabel(row.start) : format(column, row[column]);
        tr.append(td);
      }
      body.append(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = columns.length;
      td.className = "muted";
      td.textContent = t("report.empty");
      tr.append(td);
      body.append(tr);
    }
  }

  function summary(total, fcr) {
    const items = [
      ["report.col.offered", plain(total.offered)],
      ["report.col.answered", plain(total.answered)],
      ["report.col.abandoned", plain(total.abandoned)],
      ["report.col.service_level", percent(total.service_level)],
      ["report.col.asa_seconds", seconds(total.asa_seconds)],
      ["report.col.aht_seconds", seconds(total.aht_seconds)],
      ["report.col.occupancy", percent(total.occupancy)],
      ["report.col.fcr", fcr ? percent(fcr.rate) : "—"],
    ];
    $("report-summary").replaceChildren(
      ...items.map(([key, value]) => {
        const box = document.createElement("div");
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        dt.textContent = t(key);
        dd.textContent = value;
        dd.dataset.measure = key.slice("report.col.".length);
        box.append(dt, dd);
        return box;
      })
    );
  }

  function chart(id, labels, rows) {
    if (typeof Chart === "undefined") return; // the vendored file did not load: the tables still show
    const data = {
      labels,
      datasets: [
        { type: "bar", label: t("report.col.answered"), data: rows.map((r) => r.answered), backgroundColor: "#1f5fa8", stack: "v", yAxisID: "y", order: 1 },
        { type: "bar", label: t("report.col.abandoned"), data: rows.map((r) => r.abandoned), backgroundColor: "#b3261e", stack: "v", yAxisID: "y", order: 1 },
        {
          type: "line",
          label: t("report.col.service_level"),
          data: rows.map((r) => (r.service_level === null ? null : Math.round(r.service_level * 1000) / 10)),
          borderColor: "#1b7f3b",
          backgroundColor: "#1b7f3b",
          yAxisID: "sl",
          spanGaps: true,
          order: 0, // drawn over the bars
          pointRadius: 4,
        },
      ],
    };
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        sl: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ticks: { callback: (v) => v + "%" } },
      },
    };
    if (charts[id]) {
      charts[id].data = data;
      charts[id].update();
    } else {
      charts[id] = new Chart($(id), { data, options });
    }
  }

  function links(query) {
    document.querySelectorAll("a.csv").forEach((link) => {
      link.href = link.dataset.path + "?" + query;
    });
  }

  async function section(what, load) {
    try {
      await load();
    } catch (error) {
      const box = $("report-error");
      box.hidden = false;
      const line = t("report.error", { what: t(what), message: error.message || String(error) });
      box.textContent = box.textContent ? box.textContent + " " + line : line;
    }
  }

  async function run() {
    const params = new URLSearchParams({
      start_date: $("report-from").value,
      end_date: $("report-to").value,
      timezone: page.timezone,
    });
    if ($("report-site").value) params.append("site", $("report-site").value); // else every site of the user's
    const box = $("report-error");
    box.hidden = true;
    box.textContent = "";
    $("report-state").textContent = t("report.loading");
    links(params.toString());
    let report = null;
    await section("report.summary", async () => {
      report = await api("GET", "/api/reports/kpis?" + params + "&interval_seconds=" + $("report-interval").value);
      const scope = $("report-scope");
      scope.hidden = report.scope_sites === null;
      scope.textContent = report.scope_sites === null ? "" : t("report.scope", { sites: report.scope_sites.join(", ") });
      for (const name of page.tables) table(name, report[name]);
      summary(report.total, null);
      $("report-empty").hidden = report.total.offered > 0;
      chart("chart-intervals", report.intervals.map((r) => intervalLabel(r.start)), report.intervals);
      chart("chart-days", report.days.map((r) => r.day), report.days);
    });
    if (report) {
      // the same period and the same sites (the user's scope) as the KPIs
      await Promise.all([
        section("report.table.fcr", async () => {
          const fcr = await api("GET", "/api/reports/fcr?" + params);
          table("fcr", [fcr]);
          summary(report.total, fcr);
        }),
        section("report.table.sla", async () => {
          table("sla", (await api("GET", "/api/reports/sla-attainment?" + params)).rows);
        }),
        section("report.table.conversion", async () => {
          table("conversion", await api("GET", "/api/reports/offer-conversion?" + params));
        }),
      ]);
    }
    $("report-state").textContent = "";
    document.body.dataset.loaded = String(Date.now()); // for tests: one run finished
  }

  const today = new Date();
  $("report-to").value = localDay(today);
  $("report-from").value = localDay(new Date(today.getTime() - 6 * 86_400_000));
  $("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  run();
})();
