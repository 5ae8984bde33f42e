/* Sounding dashboard: draws each time series from the table of its numbers (uPlot).
   No inline script anywhere: this file is loaded by every page. The tables stay the source of
   truth (and the fallback without JavaScript). */
(function () {
  "use strict";
  var COLORS = ["#1f6feb", "#d9480f", "#2f9e44", "#862e9c", "#f59f00", "#0c8599"];

  function readTable(table) {
    var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
    var cols = heads.map(function () { return []; });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, i) {
        var text = cell.textContent.trim();
        cols[i].push(i === 0 ? Date.parse(text + "T00:00:00Z") / 1000 : Number(text.replace(/,/g, "")));
      });
    });
    return { heads: heads, cols: cols };
  }

  function drawTimeseries(el) {
    var table = document.getElementById(el.getAttribute("data-table"));
    if (!table || typeof uPlot === "undefined") { return; }
    var data = readTable(table);
    var single = el.getAttribute("data-y-label");  // one y axis for every column (e.g. comments per week)
    var units = single ? data.heads.slice(1) : (el.getAttribute("data-units") || "").split("|");
    var series = [{ label: data.heads[0] }];
    var picked = [data.cols[0]];
    units.forEach(function (unit, i) {
      series.push({ label: data.heads[i + 1], stroke: COLORS[i % COLORS.length], width: 2,
                    scale: single ? "y" : (i === 0 ? "lv" : "reactions"), points: { show: data.cols[0].length < 60 } });
      picked.push(data.cols[i + 1]);
    });
    var width = Math.max(Math.min(el.parentElement.clientWidth || 800, 1100) - 8, 320);
    var axes = single ? [{ label: "date (UTC)" }, { scale: "y", label: single }] : [
      { label: "date (UTC)" },
      { scale: "lv", label: "learning value (points)" },
      { scale: "reactions", side: 1, label: "likes, reposts", grid: { show: false } }
    ];
    var opts = {
      width: width, height: 260,
      series: series,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(max, 1)]; } } },
      axes: axes,
      legend: { live: true }
    };
    el.textContent = "";
    new uPlot(opts, picked, el);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".timeseries"), drawTimeseries);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
