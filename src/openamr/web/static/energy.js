/* Energy report charts (uPlot, vendored): daily bars and the load profile. */
(function () {
  "use strict";
  var el = document.getElementById("energy-data");
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var charts = {};
  window.openamrCharts = charts;
  function width(id) { return Math.max(280, document.getElementById(id).clientWidth); }
  var days = data.daily.map(function (r) { return r.date; });
  var kwh = data.daily.map(function (r) { return r.energy_wh === null ? null : r.energy_wh / 1000; });
  var xs = days.map(function (_, i) { return i; });
  charts.daily = new uPlot({
    width: width("chart-edaily"), height: 200,
    scales: { x: { time: false, range: function () { return [-0.5, xs.length - 0.5]; } },
              y: { range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; } } },
    axes: [{ incrs: [1, 2, 5, 7, 14, 30], values: function (u, s) {
      return s.map(function (i) { return days[i] === undefined ? "" : days[i].slice(5); }); } },
      { size: 60 }],
    series: [{ label: "Day", value: function (u, i) { return days[i] || "--"; } },
      { label: "Energy (kWh)", fill: "#0969da", stroke: "#0550ae",
        paths: uPlot.paths.bars({ size: [0.8, 60] }), points: { show: false } }]
  }, [xs, kwh], document.getElementById("chart-edaily"));
  var p = data.load_profile;
  function kw(a) { return a.map(function (v) { return v === null ? null : v / 1000; }); }
  charts.profile = new uPlot({
    width: width("chart-eprofile"), height: 200,
    scales: { x: { time: false } }, axes: [{}, { size: 60 }],
    series: [{ label: "Hour" },
      { label: "Weekdays (kW)", stroke: "#0969da", width: 2 },
      { label: "Weekends (kW)", stroke: "#b35900", width: 2, dash: [6, 4] }]
  }, [p.hours, kw(p.weekday_power_w), kw(p.weekend_power_w)],
  document.getElementById("chart-eprofile"));
})();
