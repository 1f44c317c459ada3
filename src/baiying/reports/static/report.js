/* Baiying KPI report: draws the charts from the JSON embedded in the page, with the inlined Chart.js.
   Works offline; every number shown comes from the "baiying-report-data" element. */
(function () {
  "use strict";

  var source = document.getElementById("baiying-report-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var T = data.text;

  var COLORS = {
    answered: "#2563eb",
    abandoned: "#dc2626",
    other: "#94a3b8",
    serviceLevel: "#059669",
    abandonRate: "#dc2626",
    occupancy: "#7c3aed",
    asa: "#0891b2",
    target: "#64748b",
    marker: "#d97706",
    good: "#10b981",
    bad: "#f59e0b",
    simulated: "#2563eb",
    real: "#94a3b8"
  };
  var GRID = "#eef2f7";

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#475569";
  Chart.defaults.plugins.legend.align = "start";
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;
  Chart.defaults.plugins.tooltip.backgroundColor = "rgba(15, 23, 42, 0.92)";

  function hasValues(values) {
    return values.some(function (value) { return value !== null && value !== 0; });
  }

  function format(value, unit) {
    if (value === null || value === undefined) {
      return "–";
    }
    if (unit === "%") {
      return value.toFixed(1) + "%";
    }
    if (unit) {
      return value.toFixed(1) + " " + unit;
    }
    return value.toLocaleString();
  }

  function tooltipLabel(context) {
    return " " + context.dataset.label + ": " + format(context.parsed.y, context.dataset.unit);
  }

  function percentAxis() {
    return {
      min: 0,
      max: 100,
      grid: { color: GRID },
      ticks: { callback: function (value) { return value + "%"; } }
    };
  }

  function secondsAxis() {
    return {
      beginAtZero: true,
      grid: { color: GRID },
      ticks: { callback: function (value) { return value + " " + T.seconds_unit; } }
    };
  }

  function categoryAxis(stacked) {
    return {
      stacked: stacked,
      grid: { display: false },
      ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }
    };
  }

  /* Vertical dashed lines at the intervals where a site changed status (drills). */
  var markerPlugin = {
    id: "baiyingMarkers",
    afterDatasetsDraw: function (chart, _args, options) {
      var markers = (options && options.markers) || [];
      if (!markers.length) {
        return;
      }
      var ctx = chart.ctx;
      var area = chart.chartArea;
      var x = chart.scales.x;
      var rows = [];  // the right edge of the labels already drawn on each text row
      ctx.save();
      ctx.font = "600 11px " + Chart.defaults.font.family;
      markers.forEach(function (marker) {
        var px = x.getPixelForValue(marker.index);
        var colour = marker.status === "open" ? COLORS.serviceLevel : COLORS.marker;
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        var text = marker.text;
        var width = ctx.measureText(text).width + 8;
        var left = Math.min(Math.max(px + 3, area.left), area.right - width);
        var row = 0;
        while (row < rows.length && rows[row] > left - 4) {
          row += 1;
        }
        if (row >= 4) {
          return;  // crowded: the dashed line stays, the label is in the site status table
        }
        rows[row] = left + width;
        var top = area.top + 2 + row * 16;
        ctx.fillStyle = "rgba(255, 255, 255, 0.88)";
        ctx.fillRect(left, top, width, 14);
        ctx.fillStyle = colour;
        ctx.textBaseline = "top";
        ctx.fillText(text, left + 4, top + 2);
      });
      ctx.restore();
    }
  };

  function make(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return null;
    }
    return new Chart(canvas, config);
  }

  function volumeDatasets(series) {
    var sets = [
      { label: T.answered, data: series.answered, backgroundColor: COLORS.answered, stack: "v" },
      { label: T.abandoned, data: series.abandoned, backgroundColor: COLORS.abandoned, stack: "v" }
    ];
    if (hasValues(series.other)) {
      sets.push({ label: T.other_outcome, data: series.other, backgroundColor: COLORS.other, stack: "v" });
    }
    sets.forEach(function (set) {
      set.borderWidth = 0;
      set.barPercentage = 0.92;
      set.categoryPercentage = 0.92;
    });
    return sets;
  }

  function offeredFooter(series) {
    return function (items) {
      if (!items.length) {
        return "";
      }
      return T.offered + ": " + format(series.offered[items[0].dataIndex]);
    };
  }

  function constant(length, value) {
    var values = [];
    for (var i = 0; i < length; i += 1) {
      values.push(value);
    }
    return values;
  }

  function line(label, values, colour, unit, extra) {
    var set = {
      type: "line",
      label: label,
      data: values,
      unit: unit,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 2,
      pointRadius: values.length > 60 ? 0 : 2.5,
      pointHoverRadius: 4,
      tension: 0.3,
      cubicInterpolationMode: "monotone",
      spanGaps: false
    };
    Object.keys(extra || {}).forEach(function (key) { set[key] = extra[key]; });
    return set;
  }

  function targetLine(length) {
    return line(T.sl_target, constant(length, data.slTarget), COLORS.target, "%", {
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      tension: 0
    });
  }

  function intervalCharts() {
    var series = data.intervals;
    var markers = { markers: series.markers };
    var n = series.labels.length;

    make("chart-volume", {
      type: "bar",
      data: { labels: series.labels, datasets: volumeDatasets(series) },
      plugins: [markerPlugin],
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: categoryAxis(true),
          y: { stacked: true, beginAtZero: true, grid: { color: GRID }, ticks: { precision: 0 } }
        },
        plugins: {
          baiyingMarkers: markers,
          tooltip: { callbacks: { label: tooltipLabel, footer: offeredFooter(series) } }
        }
      }
    });

    var slSets = [
      line(T.service_level, series.serviceLevel, COLORS.serviceLevel, "%"),
      line(T.abandon_rate, series.abandonRate, COLORS.abandonRate, "%")
    ];
    if (hasValues(series.occupancy)) {
      slSets.push(line(T.occupancy, series.occupancy, COLORS.occupancy, "%", { borderWidth: 1.5 }));
    }
    slSets.push(targetLine(n));
    make("chart-service-level", {
      type: "line",
      data: { labels: series.labels, datasets: slSets },
      plugins: [markerPlugin],
      options: {
        interaction: { mode: "index", intersect: false },
        scales: { x: categoryAxis(false), y: percentAxis() },
        plugins: { baiyingMarkers: markers, tooltip: { callbacks: { label: tooltipLabel } } }
      }
    });

    make("chart-asa", {
      type: "line",
      data: {
        labels: series.labels,
        datasets: [
          line(T.asa, series.asa, COLORS.asa, T.seconds_unit, {
            fill: "origin",
            backgroundColor: "rgba(8, 145, 178, 0.12)"
          })
        ]
      },
      plugins: [markerPlugin],
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: categoryAxis(false),
          y: secondsAxis()
        },
        plugins: {
          baiyingMarkers: markers,
          legend: { display: false },
          tooltip: { callbacks: { label: tooltipLabel } }
        }
      }
    });
  }

  function dayChart() {
    var series = data.days;
    if (!series) {
      return;
    }
    var sets = volumeDatasets(series);
    sets.forEach(function (set) { set.order = 2; });
    sets.push(line(T.service_level, series.serviceLevel, COLORS.serviceLevel, "%", {
      yAxisID: "y1",
      order: 1,
      borderWidth: 2.5,
      pointRadius: 4,
      pointBackgroundColor: "#ffffff"
    }));
    sets.push(targetLine(series.labels.length));
    sets[sets.length - 1].yAxisID = "y1";
    sets[sets.length - 1].order = 0;
    make("chart-days", {
      type: "bar",
      data: { labels: series.labels, datasets: sets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: categoryAxis(true),
          y: { stacked: true, beginAtZero: true, grid: { color: GRID }, ticks: { precision: 0 } },
          y1: { position: "right", min: 0, max: 100, grid: { display: false },
            ticks: { callback: function (value) { return value + "%"; } } }
        },
        plugins: {
          legend: { labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } } },
          tooltip: { callbacks: { label: tooltipLabel, footer: offeredFooter(series) } }
        }
      }
    });
  }

  function siteCharts() {
    var series = data.sites;
    var single = { legend: { display: false }, tooltip: { callbacks: { label: tooltipLabel } } };
    make("chart-site-offered", {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{ label: T.offered, data: series.offered, backgroundColor: COLORS.answered,
          maxBarThickness: 56, borderRadius: 3 }]
      },
      options: {
        scales: { x: categoryAxis(false), y: { beginAtZero: true, grid: { color: GRID }, ticks: { precision: 0 } } },
        plugins: single
      }
    });
    make("chart-site-sl", {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          { label: T.service_level, data: series.serviceLevel, unit: "%", maxBarThickness: 56, borderRadius: 3,
            backgroundColor: series.serviceLevel.map(function (value) {
              return value !== null && value >= data.slTarget - 1e-7 ? COLORS.good : COLORS.bad;
            }) },
          targetLine(series.labels.length)
        ]
      },
      options: {
        scales: { x: categoryAxis(false), y: percentAxis() },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: tooltipLabel } } }
      }
    });
    make("chart-site-asa", {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{ label: T.asa, data: series.asa, unit: T.seconds_unit, backgroundColor: COLORS.asa,
          maxBarThickness: 56, borderRadius: 3 }]
      },
      options: {
        scales: {
          x: categoryAxis(false),
          y: secondsAxis()
        },
        plugins: single
      }
    });
  }

  function comparisonCharts() {
    var series = data.comparison;
    if (!series) {
      return;
    }
    function grouped(id, simulated, real) {
      make(id, {
        type: "bar",
        data: {
          labels: series.labels,
          datasets: [
            { label: T.simulated, data: simulated, unit: "%", backgroundColor: COLORS.simulated,
              maxBarThickness: 40, borderRadius: 3 },
            { label: T.real, data: real, unit: "%", backgroundColor: COLORS.real, maxBarThickness: 40,
              borderRadius: 3 }
          ]
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: {
            x: categoryAxis(false),
            y: { beginAtZero: true, grid: { color: GRID },
              ticks: { callback: function (value) { return value + "%"; } } }
          },
          plugins: { tooltip: { callbacks: { label: tooltipLabel } } }
        }
      });
    }
    grouped("chart-comparison-abandon", series.simulatedAbandon, series.realAbandon);
    grouped("chart-comparison-sl", series.simulatedSl, series.realSl);
  }

  intervalCharts();
  dayChart();
  siteCharts();
  comparisonCharts();
})();
