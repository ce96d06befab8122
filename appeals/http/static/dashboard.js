// Draws every chart on the page from the figure embedded beside it (JSON the
// server built from the API's answer), with the locally served plotly.js.
(function () {
  "use strict";
  function draw() {
    var charts = document.querySelectorAll("div.chart[data-chart]");
    var pending = [];
    charts.forEach(function (el) {
      var source = document.getElementById("figure-" + el.dataset.chart);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      var config = { displaylogo: false, responsive: true };
      pending.push(
        Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
          el.dataset.rendered = "true";
        })
      );
    });
    Promise.all(pending).then(function () {
      document.body.dataset.chartsRendered = String(pending.length);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
