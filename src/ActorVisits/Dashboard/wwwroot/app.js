// ActorVisits dashboard: one Server-Sent Events stream from the node (/api/events), rendered in plain DOM and SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const WINDOW_COLOURS = ["var(--w0)", "var(--w1)", "var(--w2)"];
const STALE_AFTER_MS = 3500;      // no picture for this long: the connection is lost
const QUIET_AFTER_MS = 10000;     // visits come in but no update was read for this long: the data is stale
const RECONNECT_AFTER_MS = 10000; // an open stream silent for this long (a dropped connection that never closed): reopen it

const state = {
  source: null,
  followed: new URLSearchParams(location.search).get("url") || "",
  lastEventAt: 0,
  connectedAt: 0,
  connected: false,
  last: null,
  urlTrend: null,
  tables: new Map(),
};

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat(undefined);
const rate = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const windowLabel = (w) => w.seconds % 60 === 0 ? `${w.seconds / 60} min` : `${w.seconds} s`;

function connect() {
  if (state.source) state.source.close();
  const query = state.followed ? `?url=${encodeURIComponent(state.followed)}` : "";
  const source = new EventSource(`/api/events${query}`);
  state.source = source;
  state.connectedAt = Date.now();
  source.addEventListener("snapshot", (e) => {
    const picture = JSON.parse(e.data);
    state.lastEventAt = Date.now();
    state.connected = true;
    // A node that has not yet composed its first picture sends an empty one.
    if (!picture.windows) return;
    state.last = picture;
    render(picture);
  });
  source.addEventListener("url", (e) => {
    state.urlTrend = JSON.parse(e.data);
    renderUrl(state.urlTrend);
  });
  source.onerror = () => {
    state.connected = false;
    setStatus("offline", "node unreachable, reconnecting…");
    // A refused or failed response closes an EventSource for good: open a new one.
    if (source.readyState === EventSource.CLOSED) setTimeout(() => { if (state.source === source) connect(); }, 2000);
  };
}

function setStatus(kind, text) {
  const status = $("status");
  status.dataset.state = kind;
  $("status-text").textContent = text;
}

function checkFreshness() {
  if (!state.lastEventAt) return;
  const silence = Date.now() - state.lastEventAt;
  if (!state.connected) {
    setStatus("offline", `node unreachable for ${Math.round(silence / 1000)} s, reconnecting… (figures below are from before)`);
    return;
  }
  if (silence > STALE_AFTER_MS) {
    setStatus("stale", `stale: no data for ${Math.round(silence / 1000)} s`);
    // A connection dropped on the way (a sleeping laptop, a proxy) may never report an error: open a new one.
    if (silence > RECONNECT_AFTER_MS && Date.now() - state.connectedAt > RECONNECT_AFTER_MS) connect();
    return;
  }
  const last = state.last;
  if (!last) return;
  const quietFor = last.lastUpdateAt ? Date.parse(last.at) - Date.parse(last.lastUpdateAt) : null;
  if (last.pipeline.visitsPerSecond > 0 && (quietFor === null || quietFor > QUIET_AFTER_MS)) {
    setStatus("stale", quietFor === null ? "waiting for the first updates…" : `stale: no update read for ${Math.round(quietFor / 1000)} s`);
  } else {
    setStatus("live", `live · ${new Date(last.at).toLocaleTimeString()}`);
  }
}

function render(picture) {
  $("node").textContent = picture.node;
  renderTops(picture);
  renderPipeline(picture.pipeline);
  checkFreshness();
}

function renderTops(picture) {
  const tops = $("tops");
  // Windows the node no longer has (a redeploy with other windows) leave with their cards.
  const shown = new Set(picture.windows.map((w) => w.window));
  for (const [name, table] of state.tables) {
    if (!shown.has(name)) {
      table.closest("section").remove();
      state.tables.delete(name);
    }
  }
  picture.windows.forEach((w, index) => {
    let table = state.tables.get(w.window);
    if (!table) {
      const card = document.createElement("section");
      card.className = "card";
      card.innerHTML = `<div class="top-head"><h2>Last ${windowLabel(w)}</h2><span class="topic"></span></div>
        <table class="top" id="top-${w.window}"><tbody></tbody></table>`;
      card.querySelector(".topic").textContent = w.topic;
      tops.appendChild(card);
      table = card.querySelector("tbody");
      state.tables.set(w.window, table);
    }
    const rows = w.urls.map((u, rank) => {
      const tr = document.createElement("tr");
      tr.dataset.url = u.url;
      tr.innerHTML = `<td class="rank">${rank + 1}</td><td class="url"></td><td class="count"></td><td class="rate"></td><td class="spark"></td>`;
      const cell = tr.querySelector(".url");
      cell.textContent = u.url;
      cell.title = u.url;
      cell.addEventListener("click", () => follow(u.url));
      tr.querySelector(".count").textContent = number.format(u.count);
      tr.querySelector(".rate").textContent = `${rate.format(u.perSecond)}/s`;
      tr.querySelector(".spark").appendChild(sparkline([...u.history, u.count], WINDOW_COLOURS[index % 3]));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td class="empty" colspan="5">no visits in this window yet</td>`;
      rows.push(tr);
    }
    table.replaceChildren(...rows);
  });
}

function sparkline(values, colour) {
  const width = 100, height = 24;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  if (values.length < 2) values = [values[0] || 0, values[0] || 0];
  const max = Math.max(1, ...values);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
  const area = document.createElementNS(SVG, "polygon");
  area.setAttribute("points", `0,${height} ${points.join(" ")} ${width},${height}`);
  area.style.fill = colour;
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.style.stroke = colour;
  svg.append(area, line);
  return svg;
}

function renderPipeline(p) {
  $("kpi-in").textContent = rate.format(p.visitsPerSecond);
  $("kpi-out").textContent = rate.format(p.updatesPerSecond);
  $("kpi-dlq").textContent = number.format(p.deadLetters);
  $("kpi-late").textContent = number.format(p.late);
  $("reasons").replaceChildren(...Object.entries(p.deadLettersByReason)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => {
      const span = document.createElement("span");
      span.textContent = `${reason}: ${number.format(n)}`;
      return span;
    }));
  $("partitions").tBodies[0].replaceChildren(...p.partitions.map((part) => row([
    String(part.partition), part.node, pill(part.rebuilding ? "rebuilding" : "counting"), part.lag == null ? "–" : number.format(part.lag),
  ], [null, null, null, "num"])));
  $("nodes").tBodies[0].replaceChildren(...p.nodes.map((n) => row([
    n.node + (n.self ? " (this)" : ""), pill(n.state), rate.format(n.visitsPerSecond), rate.format(n.updatesPerSecond),
  ], [null, null, "num", "num"])));
}

function pill(text) {
  const span = document.createElement("span");
  span.className = `pill ${text === "counting" || text === "rebuilding" ? text : text === "starting" ? "rebuilding" : "down"}`;
  span.textContent = text;
  return span;
}

function row(cells, classes) {
  const tr = document.createElement("tr");
  cells.forEach((cell, i) => {
    const td = document.createElement("td");
    if (classes[i]) td.className = classes[i];
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
    tr.appendChild(td);
  });
  return tr;
}

// Follows a URL exactly as counted (a URL need not start with '/'); what is typed in the search box is trimmed first.
function follow(url) {
  state.followed = url;
  state.urlTrend = null;
  $("search").value = url;
  $("url-panel").hidden = !url;
  $("search-clear").hidden = !url;
  const address = new URL(location.href);
  if (url) address.searchParams.set("url", url); else address.searchParams.delete("url");
  history.replaceState(null, "", address);
  if (url) {
    $("url-title").textContent = url;
    $("url-figures").textContent = "waiting for its counts…";
    $("url-chart").replaceChildren();
  }
  connect();
}

function renderUrl(trend) {
  if (trend.url !== state.followed) return;
  const figures = $("url-figures");
  figures.replaceChildren(...trend.windows.map((w, i) => {
    const span = document.createElement("span");
    span.dataset.window = w.window;
    span.innerHTML = `<i style="background:${WINDOW_COLOURS[i % 3]}"></i>${windowLabel(w)} <b class="count"></b> <span class="rate"></span>`;
    span.querySelector(".count").textContent = number.format(w.count);
    span.querySelector(".rate").textContent = `(${rate.format(w.perSecond)}/s)`;
    return span;
  }));
  $("url-legend").replaceChildren(...trend.windows.map((w, i) => {
    const span = document.createElement("span");
    span.innerHTML = `<i style="background:${WINDOW_COLOURS[i % 3]}"></i>`;
    span.append(`last ${windowLabel(w)}`);
    return span;
  }));
  drawChart($("url-chart"), trend);
}

function drawChart(svg, trend) {
  const width = 760, height = 220, left = 44, right = 8, top = 10, bottom = 22;
  const series = trend.windows.map((w) => [...w.history, w.count]);
  const points = Math.max(2, ...series.map((s) => s.length));
  const max = niceMax(Math.max(1, ...series.flat()));
  const x = (i, length) => left + (width - left - right) * (points - length + i) / (points - 1);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const children = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    children.push(el("line", { class: "axis", x1: left, x2: width - right, y1: y(value), y2: y(value) }));
    children.push(text(left - 6, y(value) + 4, number.format(Math.round(value)), "end"));
  }
  const spanSeconds = (points - 1) * trend.historyStepSeconds;
  children.push(text(left, height - 4, `−${Math.round(spanSeconds / 60 * 10) / 10} min`, "start"));
  children.push(text(width - right, height - 4, "now", "end"));
  series.forEach((values, i) => {
    if (values.length < 2) values = [values[0], values[0]];
    const d = values.map((v, j) => `${j === 0 ? "M" : "L"}${x(j, values.length).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const path = el("path", { class: "line", d });
    path.dataset.window = trend.windows[i].window;
    path.style.stroke = WINDOW_COLOURS[i % 3];
    children.push(path);
  });
  svg.replaceChildren(...children);
}

function niceMax(value) {
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= value) return m * magnitude;
  return 10 * magnitude;
}

function el(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function text(x, y, content, anchor) {
  const node = el("text", { x, y, "text-anchor": anchor });
  node.textContent = content;
  return node;
}

async function suggest() {
  const q = $("search").value.trim();
  if (q.length < 2) return;
  try {
    const response = await fetch(`/api/suggest?q=${encodeURIComponent(q)}`);
    if (!response.ok) return;
    const urls = await response.json();
    $("suggestions").replaceChildren(...urls.map((u) => { const o = document.createElement("option"); o.value = u; return o; }));
  } catch { /* offline: no suggestions */ }
}

$("search-form").addEventListener("submit", (e) => { e.preventDefault(); follow($("search").value.trim()); });
$("search-clear").addEventListener("click", () => follow(""));
$("search").addEventListener("input", suggest);
setInterval(() => { if (state.last) checkFreshness(); }, 1000);
if (state.followed) follow(state.followed); else connect();
