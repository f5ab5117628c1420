// harborwatch map page: MapLibre GL JS over the /api endpoints; no network beyond this server.
"use strict";

const COLORS = {
  port_visit: "#1f77b4", voyage: "#aec7e8", gap: "#d62728", encounter: "#ff7f0e", loitering: "#bcbd22",
  dark_vessel: "#111111", watchlist_vessel_at_site: "#e377c2", identity_change: "#9467bd",
  shared_mmsi: "#8c564b", invalid_imo: "#7f7f7f", on_land: "#17becf", new_structure: "#2ca02c",
};
const OFF_BY_DEFAULT = new Set(["voyage"]);
const PAGE = 5000, MAX_PAGES = 4, DAY_MS = 86400000;
// state the page and its browser test read: window.hw
const hw = window.hw = { ready: false, events: 0, truncated: false, basemap: false, sites: 0, track: 0,
  loads: 0, errors: [] };
let info = null, visible = new Set(), loadSeq = 0;

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
  '"': "&quot;", "'": "&#39;" })[c]);
const fmt = (iso) => (iso ? iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "") : "");

async function getJSON(url, options) {
  const r = await fetch(url, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${r.status} ${body.detail || r.statusText}`);
  return body;
}

function report(e) { hw.errors.push(String(e)); $("shown").textContent = String(e); }

const map = new maplibregl.Map({
  container: "map",
  style: {
    version: 8,
    sources: {},
    layers: [{ id: "sea", type: "background", paint: { "background-color": "#d7e6f2" } }],
  },
  center: [130.5, 42.0], zoom: 5, attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl(), "bottom-left");
map.addControl(new maplibregl.AttributionControl({ compact: true,
  customAttribution: "land: GLOBE 1 km land mask (global-land-mask) · MapLibre" }));

function addLayers() {
  map.addSource("land", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "land-world", type: "fill", source: "land", maxzoom: 7,
    filter: ["==", ["get", "detail"], "world"], paint: { "fill-color": "#efeadb" } });
  map.addLayer({ id: "land-region", type: "fill", source: "land",
    filter: ["==", ["get", "detail"], "region"], paint: { "fill-color": "#efeadb" } });
  map.addSource("sites", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "sites", type: "circle", source: "sites", paint: {
    "circle-radius": ["interpolate", ["exponential", 2], ["zoom"], 5, 4, 12, 60],
    "circle-color": "#ffd92f", "circle-opacity": 0.25, "circle-stroke-color": "#a08400", "circle-stroke-width": 1 } });
  map.addSource("track", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "track", type: "line", source: "track",
    paint: { "line-color": "#6a3d9a", "line-width": 2, "line-opacity": 0.8 } });
  map.addSource("events", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  const color = ["match", ["get", "type"]];
  for (const [t, c] of Object.entries(COLORS)) color.push(t, c);
  color.push("#444");
  map.addLayer({ id: "events", type: "circle", source: "events",
    filter: ["!=", ["get", "type"], "dark_vessel"], paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 3, 12, 7], "circle-color": color,
      "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  map.addLayer({ id: "dark", type: "circle", source: "events",
    filter: ["==", ["get", "type"], "dark_vessel"], paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 4, 12, 9], "circle-color": "#111",
      "circle-stroke-color": "#ff0", "circle-stroke-width": 2 } });
}

function windowRange() {
  const days = Number($("window").value);
  if (!days || !info || !info.first) return [null, null];
  const start = Date.parse(info.first) + Number($("slider").value) * DAY_MS;
  return [new Date(start), new Date(start + days * DAY_MS)];
}

function typeControls() {
  const box = $("types");
  box.innerHTML = "";
  for (const [t, n] of Object.entries(info.events)) {
    if (!OFF_BY_DEFAULT.has(t)) visible.add(t);
    const id = `t-${t}`;
    box.insertAdjacentHTML("beforeend", `<label><input type="checkbox" id="${esc(id)}" data-type="${esc(t)}"
      ${visible.has(t) ? "checked" : ""}> <span class="swatch" style="background:${COLORS[t] || "#444"}"></span>
      ${esc(t.replaceAll("_", " "))} <span class="muted">(${n.toLocaleString()})</span></label>`);
  }
  box.addEventListener("change", (ev) => {
    const t = ev.target.dataset.type;
    if (ev.target.checked) visible.add(t); else visible.delete(t);
    loadEvents();
  });
}

async function loadEvents() {
  const seq = ++loadSeq;
  const b = map.getBounds();
  const w = Math.max(b.getWest(), -180), e = Math.min(b.getEast(), 180);
  const s = Math.max(b.getSouth(), -90), n = Math.min(b.getNorth(), 90);
  const params = new URLSearchParams({ bbox: [w, s, e, n].map((v) => v.toFixed(5)).join(","), limit: PAGE });
  const [since, until] = windowRange();
  if (since) { params.set("since", since.toISOString()); params.set("until", until.toISOString()); }
  if (!visible.size) { setEvents([], false); return; }
  params.set("type", [...visible].join(","));
  const feats = [];
  let cursor = null, pages = 0;
  do {
    if (cursor) params.set("cursor", cursor);
    const page = await getJSON(`/api/events?${params}`);
    if (seq !== loadSeq) return;  // a newer request superseded this one
    // no feature ids on the map: MapLibre encodes them as numbers, and a hex id like "1e50..." is not one
    feats.push(...page.features.filter((f) => f.geometry).map((f) => ({ type: "Feature", geometry: f.geometry,
      properties: { event_id: f.id, type: f.properties.type, mmsi: f.properties.mmsi } })));
    cursor = page.next_cursor;
  } while (cursor && ++pages < MAX_PAGES);
  setEvents(feats, Boolean(cursor));
}

function setEvents(feats, truncated) {
  map.getSource("events").setData({ type: "FeatureCollection", features: feats });
  hw.events = feats.length; hw.truncated = truncated; hw.loads += 1;
  $("shown").textContent = `${feats.length.toLocaleString()} events in view` +
    (truncated ? ` (first ${feats.length.toLocaleString()}; zoom in or narrow the time window)` : "");
  const [since, until] = windowRange();
  $("when").textContent = since ? `${fmt(since.toISOString())} to ${fmt(until.toISOString())} UTC`
    : `${fmt(info.first)} to ${fmt(info.last)} UTC`;
}

let timer = null;
function reloadSoon() { clearTimeout(timer); timer = setTimeout(() => loadEvents().catch(report), 200); }

function kv(obj) {
  return `<table class="kv">${Object.entries(obj).filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === "object" ? JSON.stringify(v) : v)}</td></tr>`)
    .join("")}</table>`;
}

function reviewForm(id) {
  const token = sessionStorage.getItem("hw-token") || "";
  return `<form data-event="${esc(id)}"><strong>Review</strong>
    <select name="status"><option>confirmed</option><option>rejected</option><option>needs_review</option></select>
    <input name="note" placeholder="note" maxlength="2000">
    <input name="token" type="password" placeholder="bearer token" value="${esc(token)}">
    <button type="submit">save</button> <span class="result muted"></span></form>`;
}

async function eventPopup(feature, lngLat) {
  const id = feature.properties.event_id;
  const popup = new maplibregl.Popup({ maxWidth: "360px" }).setLngLat(lngLat)
    .setHTML(`<div class="popup" data-event="${esc(id)}">loading ${esc(id)}…</div>`).addTo(map);
  const d = await getJSON(`/api/events/${encodeURIComponent(id)}`);
  const p = d.properties;
  const chip = p.links.chip ? `<p><img src="${esc(p.links.chip)}" alt="radar chip"></p>` : "";
  const ev = p.evidence.slice(0, 5).map((h) => `<code>${esc(h)}</code>`).join(" ");
  const reviews = p.reviews.map((r) => `<li>${esc(r.status)} by ${esc(r.reviewer)}, ${esc(fmt(r.created_at))}:
    ${esc(r.note)}</li>`).join("");
  const html = `<div class="popup" data-event="${esc(id)}"><h3>${esc(p.type.replaceAll("_", " "))}</h3>
    ${kv({ event_id: id, mmsi: p.mmsi, mmsi_2: p.mmsi_2, site: p.site_id, start: fmt(p.start), end: fmt(p.end),
      confidence: p.confidence })}
    ${chip}<details><summary>attributes</summary>${kv(p.attributes)}</details>
    <p>evidence: ${p.evidence_count} records ${ev}${p.evidence.length > 5 ? " …" : ""}</p>
    <p><a href="${esc(p.links.bundle)}" download>evidence bundle (zip)</a> ·
      <a href="${esc(p.links.self)}" target="_blank">JSON</a>
      ${p.mmsi ? ` · <a href="#" data-mmsi="${esc(p.mmsi)}" class="show-vessel">vessel</a>` : ""}</p>
    ${reviews ? `<ul>${reviews}</ul>` : ""}${reviewForm(id)}</div>`;
  popup.setHTML(html);
}

document.addEventListener("submit", async (ev) => {
  const f = ev.target.closest("form[data-event]");
  if (!f) return;
  ev.preventDefault();
  const token = f.token.value.trim();
  sessionStorage.setItem("hw-token", token);
  const out = f.querySelector(".result");
  try {
    const r = await getJSON("/api/reviews", { method: "POST", headers: { "Content-Type": "application/json",
      Authorization: `Bearer ${token}` }, body: JSON.stringify({ event_id: f.dataset.event,
      status: f.status.value, note: f.note.value }) });
    out.textContent = `saved (${r.reviewer}, ${fmt(r.created_at)})`;
  } catch (e) { out.textContent = String(e.message); }
});

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a.show-vessel");
  if (!a) return;
  ev.preventDefault();
  showVessel(Number(a.dataset.mmsi)).catch(report);
});

async function showVessel(mmsi) {
  const [since, until] = windowRange();
  const q = since ? `?since=${since.toISOString()}&until=${until.toISOString()}` : "";
  const [v, t] = await Promise.all([getJSON(`/api/vessels/${mmsi}`), getJSON(`/api/tracks/${mmsi}${q}`)
    .catch(() => null)]);
  const last = v.identity[v.identity.length - 1] || {};
  $("vessel").innerHTML = `<h3>${esc(last.name || mmsi)}</h3>${kv({ mmsi, imo: last.imo, callsign: last.callsign,
    flag: last.flag, type: last.ship_type, "identities": v.identity.length, "watchlist hits": v.watchlist.length,
    "track positions": t ? t.properties.positions : 0 })}<ol>${v.events.slice(0, 15).map((e) =>
    `<li>${esc(e.properties.type)} ${esc(fmt(e.properties.start))} ${esc(e.properties.site_id || "")}</li>`)
    .join("")}</ol>`;
  map.getSource("track").setData(t || { type: "FeatureCollection", features: [] });
  hw.track = t ? t.properties.positions : 0;
  if (t && t.geometry.type === "LineString") {
    const b = new maplibregl.LngLatBounds();
    for (const c of t.geometry.coordinates) b.extend(c);
    map.fitBounds(b, { padding: 40, maxZoom: 11 });
  }
}

let searchTimer = null;
$("vsearch").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("vsearch").value.trim();
    if (!q) { $("vresults").innerHTML = ""; return; }
    const rows = await getJSON(`/api/vessels?q=${encodeURIComponent(q)}`).catch((e) => { report(e); return []; });
    $("vresults").innerHTML = rows.map((r) => `<li data-mmsi="${esc(r.mmsi)}">${esc(r.mmsi)} ${esc(r.name || "")}
      <span class="muted">${esc(r.flag || "")}</span></li>`).join("") || "<li class='muted'>no vessel</li>";
  }, 250);
});
$("vresults").addEventListener("click", (ev) => {
  const li = ev.target.closest("li[data-mmsi]");
  if (li) showVessel(Number(li.dataset.mmsi)).catch(report);
});

function drawSeries(s) {
  const svg = $("chart"), W = svg.clientWidth || 800, H = svg.clientHeight || 180, L = 40, B = 18;
  const pts = s.points.filter((p) => p.estimate !== null);
  if (!pts.length) { svg.innerHTML = ""; return; }
  const t0 = Date.parse(pts[0].week), t1 = Date.parse(pts[pts.length - 1].week) + 7 * DAY_MS;
  const ymax = Math.max(1, ...pts.map((p) => p.high ?? p.estimate)) * 1.1;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 8), y = (v) => H - B - (v / ymax) * (H - B - 6);
  const band = pts.filter((p) => p.low !== null && p.high !== null);
  let out = `<line x1="${L}" y1="${H - B}" x2="${W}" y2="${H - B}" stroke="#999"/>` +
    `<text x="2" y="12" font-size="10">${esc(ymax.toFixed(0))}</text><text x="2" y="${H - B}" font-size="10">0</text>`;
  if (band.length) {
    const up = band.map((p) => `${x(Date.parse(p.week))},${y(p.high)}`);
    const down = band.slice().reverse().map((p) => `${x(Date.parse(p.week))},${y(p.low)}`);
    out += `<polygon class="band" points="${up.concat(down).join(" ")}" fill="#1f77b4" fill-opacity="0.18"/>`;
  }
  out += `<polyline class="estimate" fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts.map((p) =>
    `${x(Date.parse(p.week))},${y(p.estimate)}`).join(" ")}"/>`;
  for (const c of s.calendar) {
    const t = Date.parse(c.date);
    if (t < t0 || t > t1) continue;
    out += `<g class="calendar"><line x1="${x(t)}" x2="${x(t)}" y1="4" y2="${H - B}" stroke="#d62728"
      stroke-dasharray="3 2"><title>${esc(c.date)}: ${esc(c.label)}</title></line>
      <text x="${x(t) + 2}" y="${H - 4}" font-size="9" fill="#d62728">${esc(c.label.slice(0, 28))}</text></g>`;
  }
  svg.innerHTML = out;
  $("s-note").textContent = `${pts.length} weeks; shaded: interval` +
    (s.periods.length ? `; ${s.periods.length} periods, ${s.changes.length} changes in /api/series` : "");
}

async function loadSeries() {
  const site = $("s-site").value, q = $("s-quantity").value;
  if (!site || !q) return;
  drawSeries(await getJSON(`/api/series?site=${encodeURIComponent(site)}&quantity=${encodeURIComponent(q)}`));
}

function seriesControls() {
  const all = info.series;
  if (!all.length) { $("s-note").textContent = "no estimates on this server (--estimates DIR)"; return; }
  const sites = [...new Set(all.map((r) => r.site))];
  $("s-site").innerHTML = sites.map((s) => `<option>${esc(s)}</option>`).join("");
  $("s-site").value = sites.includes("kp-rajin") ? "kp-rajin" : sites[0];
  const fillQ = () => {
    const qs = all.filter((r) => r.site === $("s-site").value).map((r) => r.quantity);
    $("s-quantity").innerHTML = qs.map((q) => `<option>${esc(q)}</option>`).join("");
    if (qs.includes("calls")) $("s-quantity").value = "calls";
  };
  fillQ();
  $("s-site").addEventListener("change", () => { fillQ(); loadSeries().catch(report); });
  $("s-quantity").addEventListener("change", () => loadSeries().catch(report));
  return loadSeries();
}

function clickable(layer) {
  map.on("click", layer, (e) => { eventPopup(e.features[0], e.lngLat).catch(report); });
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}

map.on("load", async () => {
  try {
    addLayers();
    info = await getJSON("/api/info");
    const total = Object.values(info.events).reduce((a, b) => a + b, 0);
    $("summary").textContent = `${total.toLocaleString()} events, ${fmt(info.first)} to ${fmt(info.last)} UTC`;
    const days = Math.max(0, Math.ceil((Date.parse(info.last) - Date.parse(info.first)) / DAY_MS));
    $("slider").max = String(days);
    typeControls();
    const [land, sites] = await Promise.all([getJSON("/api/basemap"), getJSON("/api/sites")]);
    map.getSource("land").setData(land); hw.basemap = land.features.length > 0;
    map.getSource("sites").setData(sites); hw.sites = sites.features.length;
    if (info.bbox) map.fitBounds([[info.bbox[0], info.bbox[1]], [info.bbox[2], info.bbox[3]]], { padding: 30,
      duration: 0 });
    await loadEvents();
    clickable("events"); clickable("dark");
    map.on("click", "sites", (e) => {
      if (map.queryRenderedFeatures(e.point, { layers: ["events", "dark"] }).length) return;
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<div class="popup"><h3>${esc(p.name)}</h3>
        ${kv({ site_id: p.site_id, kind: p.kind, country: p.country, source: p.source })}</div>`).addTo(map);
    });
    map.on("moveend", reloadSoon);
    $("window").addEventListener("change", () => { $("slider").disabled = $("window").value === "0"; reloadSoon(); });
    $("slider").addEventListener("input", reloadSoon);
    for (const [box, layers] of [["lyr-sites", ["sites"]], ["lyr-track", ["track"]]]) {
      $(box).addEventListener("change", () => layers.forEach((l) =>
        map.setLayoutProperty(l, "visibility", $(box).checked ? "visible" : "none")));
    }
    await seriesControls();
    // "idle" fires after a frame; ask for one, so an already idle map still says so
    map.once("idle", () => { hw.ready = true; });
    map.triggerRepaint();
  } catch (e) { report(e); }
});
