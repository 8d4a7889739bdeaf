// The report page's own script: draws the charts with Chart.js from the JSON data block. Static
// text (the page's CSP allows it by hash); it reads numbers and labels only through JSON.parse and
// Chart.js draws text on canvas, so no value becomes markup. When done it sets
// `data-charts="drawn"` on <body> (the Chromium test waits for it).

export const DRAW_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = { 'proxy-only': '#d4a72c', 'broker-only': '#cf222e', 'bypass': '#8250df', 'orphan-session': '#57606a' };
  var palette = ['#0969da', '#cf222e', '#8250df', '#d4a72c', '#1a7f37', '#57606a', '#bc4c00', '#1b7c83'];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  var drawn = [];
  function draw(id, config) {
    var el = document.getElementById(id);
    if (el) drawn.push(new Chart(el, config));
  }
  var t = data.timeline;
  if (t.labels.length) {
    var sets = Object.keys(t.gaps).map(function (k, i) {
      return { type: 'bar', label: 'gaps: ' + k, data: t.gaps[k], backgroundColor: colors[k] || palette[i % palette.length], stack: 'gaps', yAxisID: 'y' };
    });
    sets.unshift({ type: 'line', label: 'join rate %', data: t.joinRate, borderColor: '#0969da', backgroundColor: '#0969da', yAxisID: 'rate', spanGaps: true, pointRadius: 1.5, borderWidth: 2 });
    draw('chart-timeline', {
      type: 'bar',
      data: { labels: t.labels.map(function (l) { return l.replace('T', ' ').replace(':00.000Z', 'Z'); }), datasets: sets },
      options: { scales: { x: { stacked: true, ticks: { maxTicksLimit: 12 } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'gaps' } }, rate: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'join rate %' } } } }
    });
  }
  draw('chart-gaps', {
    type: 'bar',
    data: { labels: data.gaps.map(function (g) { return g.kind; }), datasets: [{ label: 'gaps', data: data.gaps.map(function (g) { return g.count; }), backgroundColor: data.gaps.map(function (g, i) { return colors[g.kind] || palette[i % palette.length]; }) }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
  });
  draw('chart-posture', {
    type: 'bar',
    data: { labels: data.posture.map(function (p) { return p.tag; }), datasets: [{ label: 'records', data: data.posture.map(function (p) { return p.count; }), backgroundColor: '#bc4c00' }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
  });
  draw('chart-principals', {
    type: 'bar',
    data: { labels: data.principals.map(function (p) { return p.label; }), datasets: [
      { label: 'records', data: data.principals.map(function (p) { return p.records; }), backgroundColor: '#0969da' },
      { label: 'denied actions', data: data.principals.map(function (p) { return p.denied; }), backgroundColor: '#cf222e' }
    ] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true } } }
  });
  document.body.setAttribute('data-charts', drawn.length ? 'drawn' : 'none');
  document.body.setAttribute('data-chart-count', String(drawn.length));
})();
`;
