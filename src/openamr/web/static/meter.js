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
    opts = opts || {};
    var xseries = opts.series ? opts.series[0] : {};
    delete opts.series;
    var o = Object.assign({ width: width(id), height: box.classList.contains("short") ? 200 : 260,
      tzDate: tz, series: [xseries].concat(series), scales: { x: { time: true } },
      axes: [{}, { size: 60 }] }, opts);
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
  // bars: one category per local day or month, labelled in the site's zone
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function categories(id, starts, values, label, fill, stroke, fmt) {
    var names = starts.map(function (t) { return fmt(tz(t)); });
    var xs = starts.map(function (_, i) { return i; });
    return make(id, [{ label: label, fill: fill, stroke: stroke, paths: bars(),
      points: { show: false }, value: function (u, v, si, idx) {
        return idx === null || idx === undefined ? "--" : (v === null ? "no data" : v.toFixed(3)); } }],
      [xs, values], {
        scales: { x: { time: false, range: function () { return [-0.5, xs.length - 0.5]; } },
          y: { range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; } } },
        axes: [{ incrs: [1, 2, 5, 10, 20, 50], values: function (u, splits) {
          return splits.map(function (i) { return names[i] === undefined ? "" : names[i]; }); } },
          { size: 60 }],
        series: [{ label: "Day", value: function (u, i) { return names[i] || "--"; } }]
      });
  }
  var day = function (d) { return pad(d.getMonth() + 1) + "-" + pad(d.getDate()); };
  var month = function (d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1); };
  categories("chart-daily", data.daily.start_s, kwh(data.daily.energy_wh), "Energy (kWh)",
    "#0969da", "#0550ae", day);
  categories("chart-monthly", data.monthly.start_s, kwh(data.monthly.energy_wh), "Energy (kWh)",
    "#1a7f37", "#116329", month);
  if (data.temperature) {
    make("chart-temperature", [{ label: "Temperature (°C)", stroke: "#b35900", width: 1,
      points: { show: false } }], [data.temperature.t_s, data.temperature.temperature_c]);
  }
  var hm = data.heatmap, cv = document.getElementById("chart-heatmap");
  if (cv && hm.days.length) {
    var cols = 96, rows = hm.days.length, cell = 8, max = 0;
    cv.width = cols * cell; cv.height = rows * cell;
    // one label per day row: the canvas is scaled to the box width, so rows follow that scale
    var fit = function () {
      var h = cv.getBoundingClientRect().height / rows;
      document.querySelector(".heatwrap").style.setProperty("--row", h + "px");
    };
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
    fit(); window.addEventListener("resize", fit);
    charts.heatmap = { rows: rows, cols: cols, max: max };
  }
})();
