// Seller analytics charts: reads the figures the page embeds with json_script and draws two bar charts.
// Without JavaScript (or Chart.js) the table below the charts still shows every figure.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("analytics-data");
    var labels = document.getElementById("analytics-labels");
    if (!source || !labels || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || undefined;
    var common = {
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: true, position: "bottom" } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      locale: locale
    };

    var revenue = document.getElementById("chart-revenue");
    if (revenue) {
      new window.Chart(revenue, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: labels.dataset.revenue, data: data.revenue, backgroundColor: "#2457d6" }]
        },
        options: common
      });
    }

    var leads = document.getElementById("chart-leads");
    if (leads) {
      new window.Chart(leads, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: labels.dataset.assigned, data: data.assigned, backgroundColor: "#8aa6ec" },
            { label: labels.dataset.won, data: data.won, backgroundColor: "#1f8a4c" }
          ]
        },
        options: common
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
