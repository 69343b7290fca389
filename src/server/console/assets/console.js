// queue serve's console: confirmations and live updates. Plain JS, no framework; served as a
// file so the Content-Security-Policy can forbid inline script. Text goes in with
// textContent; only the server's own chart markup (numbers and metric names) uses innerHTML.
"use strict";

// Purge and delete: ask, then tick the form's confirm=yes box the server requires.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset.confirm;
  if (!question) return;
  const box = form.querySelector("input[name=confirm]");
  if (box && box.checked) return;
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (box) box.checked = true;
});

// Live: a Server-Sent Events stream of snapshots, every 2 s while the page is open.
(() => {
  if (!window.EventSource) return;
  const monitoring = document.querySelector("[data-queue]");
  const figures = document.querySelectorAll("[data-live]");
  if (!monitoring && figures.length === 0) return;
  let url = "/_console/events";
  if (monitoring) url += "?queue=" + encodeURIComponent(monitoring.dataset.queue);
  const badge = document.getElementById("live");
  const source = new EventSource(url);
  source.onopen = () => { if (badge) badge.hidden = false; };
  source.onerror = () => { if (badge) badge.hidden = true; };
  source.onmessage = (event) => {
    let snapshot;
    try { snapshot = JSON.parse(event.data); } catch (_) { return; }
    for (const element of figures) {
      const [queue, figure] = element.dataset.live.split(":");
      const counts = snapshot.queues && snapshot.queues[queue];
      if (counts && figure in counts) element.textContent = String(counts[figure]);
    }
    if (snapshot.charts) {
      for (const chart of document.querySelectorAll("[data-chart]")) {
        const inner = snapshot.charts[chart.dataset.chart];
        if (typeof inner === "string") chart.innerHTML = inner;
      }
    }
    const cost = document.querySelector("[data-cost]");
    if (cost && typeof snapshot.cost === "string") cost.innerHTML = snapshot.cost;
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  };
})();
