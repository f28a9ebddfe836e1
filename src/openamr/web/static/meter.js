/* Meter page charts (uPlot, vendored): intervals with zoom, daily and monthly bars, heatmap,
   temperature.  Data comes from the page itself (#meter-data), never from another origin. */
(function () {
  "use strict";
  var el = document.getElementById("meter-data");
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var charts = {};
  window.openamrCharts = charts;
  function width(id) { var box = document.getElementById(id); return Math.max(280, box.clientWidth); }
  function bars() { return uPlot.paths.bars({ size: [0.8, 60] }); }
  function tz(ts) { return uPlot.tzDate(new Date(ts * 1e3), data.timezone); }
  function make(id, series, xy, opts) {
    var box = document.getElementById(id);
    if (!box || !xy[0].length) { return null; }
    var o = Object.assign({ width: width(id), height: box.classList.contains("short") ? 200 : 260,
      tzDate: tz, series: [{}].concat(series), scales: { x: { time: true } },
      axes: [{}, { size: 60 }] }, opts || {});
    var u = new uPlot(o, xy, box);
    charts[id.replace("chart-", "")] = u;
    return u;
  }
  var iv = data.intervals;
  var u = make("chart-intervals", [{ label: "Energy (Wh)", stroke: "#0969da", width: 1,
    fill: "rgba(9,105,218,.12)", points: { show: false } }], [iv.t_s, iv.energy_wh],
    { cursor: { drag: { x: true, y: false } } });
  if (u) {
    document.querySelectorAll("[data-range]").forEach(function (b) {
      b.addEventListener("click", function () {
        var span = +b.getAttribute("data-range"), xs = iv.t_s, hi = xs[xs.length - 1] + 900;
        u.setScale("x", { min: span ? hi - span : xs[0], max: hi });
      });
    });
  }
  function kwh(a) { return a.map(function (v) { return v === null ? null : v / 1000; }); }
  make("chart-daily", [{ label: "Energy (kWh)", fill: "#0969da", stroke: "#0550ae", paths: bars(),
    points: { show: false } }], [data.daily.start_s, kwh(data.daily.energy_wh)]);
  make("chart-monthly", [{ label: "Energy (kWh)", fill: "#1a7f37", stroke: "#116329", paths: bars(),
    points: { show: false } }], [data.monthly.start_s, kwh(data.monthly.energy_wh)]);
  if (data.temperature) {
    make("chart-temperature", [{ label: "Temperature (°C)", stroke: "#b35900", width: 1,
      points: { show: false } }], [data.temperature.t_s, data.temperature.temperature_c]);
  }
  var hm = data.heatmap, cv = document.getElementById("chart-heatmap");
  if (cv && hm.days.length) {
    var cols = 96, rows = hm.days.length, cell = 4, max = 0;
    cv.width = cols * cell; cv.height = rows * cell;
    hm.energy_wh.forEach(function (r) { r.forEach(function (v) { if (v !== null && v > max) { max = v; } }); });
    var g = cv.getContext("2d");
    hm.energy_wh.forEach(function (r, y) {
      r.forEach(function (v, x) {
        if (v === null) { g.fillStyle = (x + y) % 2 ? "#d0d7de" : "#ffffff"; }
        else { var k = max ? v / max : 0; g.fillStyle = "rgb(" + Math.round(255 - 246 * k) + "," +
          Math.round(255 - 150 * k) + "," + Math.round(255 - 37 * k) + ")"; }
        g.fillRect(x * cell, y * cell, cell, cell);
      });
    });
    charts.heatmap = { rows: rows, cols: cols, max: max };
  }
})();
