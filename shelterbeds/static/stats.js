/* County statistics: draw the charts from the page's JSON block (no inline script, CSP-safe).
   Every chart's numbers are also in the table below it; suppressed counts ("<3") are gaps. */
(function () {
  "use strict";
  var PALETTE = ["#1f4e8c", "#b26a00", "#1b7f3b", "#a61b1b", "#6b4c9a", "#555555", "#0f7c8c"];

  function percent(value) {
    return Math.round(value * 100) + " %";
  }

  function draw() {
    var block = document.getElementById("stats-charts");
    if (!block || typeof window.Chart === "undefined") {
      return;
    }
    JSON.parse(block.textContent).forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) {
        return;
      }
      var datasets = spec.datasets.map(function (d, i) {
        var colour = PALETTE[i % PALETTE.length];
        return { label: d.label, data: d.data, backgroundColor: colour, borderColor: colour,
                 spanGaps: true, tension: 0.2 };
      });
      var ticks = spec.percent ? { callback: percent } : { precision: 0 };
      canvas.chart = new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: true, ticks: ticks } },
          plugins: { legend: { position: "bottom" } }
        }
      });
    });
  }

  function wirePrint() {
    var button = document.getElementById("print-report");
    if (button) {
      button.addEventListener("click", function () { window.print(); });
    }
  }

  function start() {
    draw();
    wirePrint();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
