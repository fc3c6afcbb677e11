// Draws the page's chart from its JSON (json_script, no inline code, so
// the Content Security Policy holds); a click on a bar, point or slice
// opens the drill-down link of that value.
(function () {
  "use strict";
  var data = document.getElementById("chart-data");
  var canvas = document.getElementById("chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  var spec = JSON.parse(data.textContent);
  var colours = ["#2f6f4f", "#d08a2e", "#4a6fa5", "#a54a6f", "#6fa54a", "#7a7a7a"];
  var doughnut = spec.kind === "doughnut";
  // Promotions that started in a month or day: a dashed line and a name.
  var promotions = {
    id: "promotions",
    afterDatasetsDraw: function (chart) {
      var marks = spec.annotations || [];
      if (!marks.length) return;
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
      ctx.save();
      ctx.strokeStyle = "#a54a6f";
      ctx.fillStyle = "#a54a6f";
      ctx.setLineDash([4, 3]);
      ctx.font = "11px system-ui, sans-serif";
      marks.forEach(function (mark, i) {
        var px = x.getPixelForValue(mark.index);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        var right = px > area.left + area.width * 0.7;
        ctx.textAlign = right ? "right" : "left";
        ctx.fillText(mark.label, right ? px - 3 : px + 3, area.top + 12 + (i % 3) * 13);
      });
      ctx.restore();
    }
  };
  var chart = new Chart(canvas, {
    plugins: [promotions],
    type: spec.kind,
    data: {
      labels: spec.labels,
      datasets: spec.series.map(function (s, i) {
        return {
          label: s.label,
          data: s.data,
          backgroundColor: doughnut ? colours : colours[i % colours.length],
          borderColor: doughnut ? "#fff" : colours[i % colours.length],
          tension: 0.2
        };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      onClick: function (event, elements) {
        if (!elements.length) return;
        var link = (spec.links || [])[elements[0].index];
        if (link) window.location.href = link;
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    }
  });
  canvas.dataset.ready = "1";
  window.foodmartChart = chart;
})();
