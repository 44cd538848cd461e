/*
 * Dashboard charts. Every <canvas data-chart="ID"> is drawn with Chart.js from
 * the JSON in <script type="application/json" id="ID"> (Django's json_script):
 *
 *   {"kind": "bar", "labels": [...], "datasets": [{"label": ..., "data": [...]}], "horizontal": false}
 *
 * The canvas carries role="img" and an aria-label; the table after it holds the
 * same figures, so the chart itself is hidden from the accessibility tree's detail.
 * Animation is off when the user prefers reduced motion.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") return;

  // GOV.UK palette: blue, orange, green, purple, then dark grey; high contrast on white.
  var COLOURS = ["#1d70b8", "#f47738", "#00703c", "#4c2c92", "#505a5f"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  window.Chart.defaults.font.family = "Arial, sans-serif";
  window.Chart.defaults.color = "#0b0c0c";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) return;
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    var stacked = spec.datasets.some(function (d) { return Boolean(d.stack); });
    var datasets = spec.datasets.map(function (d, i) {
      return {
        label: d.label,
        data: d.data,
        stack: d.stack,
        backgroundColor: COLOURS[i % COLOURS.length],
        borderColor: COLOURS[i % COLOURS.length],
      };
    });
    var valueAxis = { beginAtZero: true, stacked: stacked, ticks: { precision: 0 } };
    var categoryAxis = { stacked: stacked, ticks: { autoSkip: true } };
    if (spec.horizontal) {
      var rows = spec.labels.length;
      canvas.parentNode.style.height = Math.max(160, 28 * rows * Math.max(1, datasets.length / (stacked ? datasets.length : 1))) + "px";
    }
    new window.Chart(canvas, {
      type: spec.kind || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
