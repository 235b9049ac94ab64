// Marketing hub chart: spend per day (one line per ad account currency, never added together) and leads
// and won deals per day of arrival. The tables below show every figure without JavaScript.
(function () {
  "use strict";

  var palette = ["#d6452b", "#b8860b", "#6a3d9a"];

  function draw() {
    var source = document.getElementById("hub-data");
    var labels = document.getElementById("hub-labels");
    var canvas = document.getElementById("chart-hub");
    if (!source || !labels || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var datasets = [
      { type: "bar", label: labels.dataset.leads, data: data.leads, backgroundColor: "#8aa6ec", yAxisID: "count" },
      { type: "bar", label: labels.dataset.won, data: data.won, backgroundColor: "#1f8a4c", yAxisID: "count" }
    ];
    Object.keys(data.spend).forEach(function (currency, i) {
      datasets.push({
        type: "line",
        label: labels.dataset.spend + " (" + currency + ")",
        data: data.spend[currency].map(Number),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        yAxisID: "money",
        tension: 0.2,
        pointRadius: 0
      });
    });
    new window.Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: true, position: "bottom" } },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          money: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
