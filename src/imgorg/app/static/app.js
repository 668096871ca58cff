// imgorg's page: every value from the API is written with textContent, never as HTML.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { method: null, cluster: null, page: 0, pageSize: 48, summary: null };

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}
const withMethod = (path) => path + (path.includes("?") ? "&" : "?") + "method=" + encodeURIComponent(state.method);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function thumb(image, caption) {
  const figure = el("figure");
  const img = el("img"); img.src = `/api/images/${image.id}/thumbnail`; img.alt = image.path; img.title = image.path;
  img.loading = "lazy"; figure.dataset.id = image.id;
  figure.append(img, el("figcaption", caption));
  return figure;
}

function show(view) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
  document.querySelectorAll(".view").forEach((v) => v.classList.toggle("active", v.id === "view-" + view));
  ({ map: drawMap, clusters: loadClusters, methods: loadMethods, quality: loadQuality, search: () => {} })[view]();
}

async function drawMap() {
  const kind = $("map-kind").value, dims = +$("map-dims").value, colour = $("map-colour").value;
  const data = await api(withMethod(`/api/map?kind=${kind}&dims=${dims}`));
  $("map-info").textContent = `${data.ids.length.toLocaleString()} images, ${data.kind.toUpperCase()} projection`;
  const groups = new Map();
  const values = colour === "label" && data.label ? data.label : data.cluster;
  values.forEach((v, i) => { if (!groups.has(v)) groups.set(v, []); groups.get(v).push(i); });
  const traces = [...groups.entries()].sort((a, b) => (a[0] > b[0] ? 1 : -1)).map(([value, rows]) => {
    const trace = {
      type: dims === 3 ? "scatter3d" : "scattergl", mode: "markers", name: String(value),
      x: rows.map((i) => data.coords[0][i]), y: rows.map((i) => data.coords[1][i]),
      customdata: rows.map((i) => data.ids[i]), hoverinfo: "none",
      marker: { size: dims === 3 ? 2 : 4, opacity: 0.8 },
    };
    if (dims === 3) trace.z = rows.map((i) => data.coords[2][i]);
    return trace;
  });
  const plot = $("map-plot");
  await Plotly.react(plot, traces, { margin: { l: 0, r: 0, t: 0, b: 0 }, legend: { itemsizing: "constant" } },
    { responsive: true, displaylogo: false });
  plot.dataset.points = data.ids.length;
  plot.removeAllListeners && plot.removeAllListeners("plotly_hover");
  plot.on("plotly_hover", (event) => hover(event.points[0].customdata));
  plot.on("plotly_click", (event) => neighboursOf(event.points[0].customdata, $("map-neighbours")));
}

async function hover(id) {
  const image = await api(withMethod(`/api/images/${id}`));
  $("hover-thumb").src = `/api/images/${id}/thumbnail`;
  $("hover-text").textContent = `#${image.id} · cluster ${image.cluster}` + (image.label ? ` · ${image.label}` : "") + ` · ${image.path}`;
}

async function neighboursOf(id, target) {
  const result = await api(withMethod(`/api/search?id=${id}&k=12`), { method: "POST" });
  target.replaceChildren(...result.neighbours.map((n) => thumb(n, `${n.similarity.toFixed(3)} · c${n.cluster}`)));
}

async function loadClusters() {
  const data = await api(withMethod("/api/clusters"));
  const list = $("cluster-list");
  list.replaceChildren(...data.clusters.map((c) => {
    const text = `${c.noise ? "noise" : "cluster " + c.id} · ${c.size.toLocaleString()}` +
      (c.top_label ? ` · ${c.top_label} ${(100 * c.top_share).toFixed(0)}%` : "");
    const li = el("li", text); li.dataset.cluster = c.id;
    li.onclick = () => { state.cluster = c.id; state.page = 0; loadGallery(); };
    return li;
  }));
  if (state.cluster === null || !data.clusters.some((c) => c.id === state.cluster)) state.cluster = data.clusters[0].id;
  loadGallery();
}

async function loadGallery() {
  const data = await api(withMethod(`/api/clusters/${state.cluster}?page=${state.page}&page_size=${state.pageSize}`));
  document.querySelectorAll("#cluster-list li").forEach((li) => li.classList.toggle("active", +li.dataset.cluster === state.cluster));
  $("cluster-title").textContent = `${data.noise ? "Noise" : "Cluster " + data.id}: ${data.size.toLocaleString()} images` +
    (data.top_label ? `, ${(100 * data.top_share).toFixed(0)}% ${data.top_label}` : "") + " (most typical first)";
  $("cluster-gallery").replaceChildren(...data.images.map((im) => thumb(im, im.label || `#${im.id}`)));
  const pages = Math.ceil(data.size / data.page_size);
  $("page-info").textContent = `page ${data.page + 1} of ${pages}`;
  $("prev-page").disabled = data.page === 0; $("next-page").disabled = data.page + 1 >= pages;
}

async function search(event) {
  event.preventDefault();
  const k = +$("search-k").value || 12, file = $("search-file").files[0], id = $("search-id").value;
  const text = $("search-text").value.trim();
  const result = $("search-result"); result.className = ""; result.textContent = "Searching...";
  try {
    let data;
    if (file) {
      const form = new FormData(); form.append("file", file);
      data = await api(withMethod(`/api/search?k=${k}`), { method: "POST", body: form });
    } else if (id !== "") {
      data = await api(withMethod(`/api/search?id=${id}&k=${k}`), { method: "POST" });
    } else if (text !== "") {
      data = await api(withMethod(`/api/search?text=${encodeURIComponent(text)}&k=${k}`), { method: "POST" });
    } else { throw new Error("choose an image file, type an image id, or type a sentence (CLIP workspaces)"); }
    const which = data.query_id != null ? "Its cluster" : "Predicted cluster";  // an image of the workspace has its own
    result.textContent = `${which} ${data.cluster} (${data.method}); nearest neighbours by cosine similarity:`;
    $("search-gallery").replaceChildren(...data.neighbours.map((n) => thumb(n, `${n.similarity.toFixed(3)} · c${n.cluster}` + (n.label ? ` · ${n.label}` : ""))));
  } catch (error) { result.className = "error"; result.textContent = error.message; $("search-gallery").replaceChildren(); }
}

async function loadMethods() {
  const metrics = await api("/api/metrics");
  const columns = ["n_clusters", "noise_fraction", "silhouette", "davies_bouldin", "calinski_harabasz", "acc", "nmi", "ari", "seconds"];
  const used = columns.filter((c) => Object.values(metrics).some((m) => m[c] !== null && m[c] !== undefined));
  const table = $("methods-table");
  const head = el("tr"); head.append(el("th", "method"), ...used.map((c) => el("th", c)));
  const rows = Object.entries(metrics).map(([name, m]) => {
    const tr = el("tr"); const first = el("td", name + (name === state.method ? " (shown)" : ""));
    tr.append(first, ...used.map((c) => el("td", m[c] === null || m[c] === undefined ? "–" : (Number.isInteger(m[c]) ? String(m[c]) : m[c].toFixed(3)))));
    return tr;
  });
  table.replaceChildren(head, ...rows);
  const selection = state.summary.selection || {};
  $("methods-note").textContent = selection.method ? `Workspace default: ${selection.method} (${selection.reason || ""}). Switch with the Method menu above.` : "";
}

async function loadQuality() {
  const data = await api("/api/quality");
  const box = $("quality"); box.replaceChildren();
  box.append(el("h2", `Files that could not be decoded (${state.summary.failed})`));
  const failed = el("ul"); data.failed.forEach((f) => failed.append(el("li", `${f.path}: ${f.error}`))); box.append(failed);
  if (data.outliers) { box.append(el("h2", "Outliers")); const g = el("div", undefined, "gallery");
    data.outliers.forEach((o) => g.append(thumb(o, `score ${Number(o.score).toFixed(3)}`))); box.append(g); }
  if (data.duplicates) { box.append(el("h2", "Near-duplicate groups")); const g = el("div", undefined, "gallery");
    data.duplicates.forEach((d) => g.append(thumb(d, `group ${d.group}${d.keep ? " (keep)" : ""}`))); box.append(g); }
  if (!data.outliers && !data.duplicates) box.append(el("p", "Run `imgorg outliers` and `imgorg duplicates` on this workspace to see them here."));
}

async function start() {
  state.summary = await api("/api/summary");
  state.method = state.summary.default_method;
  $("summary").textContent = `${state.summary.images.toLocaleString()} images · ${state.summary.backbone}`;
  const select = $("method");
  select.replaceChildren(...state.summary.methods.map((m) => { const o = el("option", m); o.value = m; return o; }));
  select.value = state.method;
  select.onchange = () => { state.method = select.value; state.cluster = null; show(document.querySelector("nav button.active").dataset.view); };
  if (!state.summary.has_labels) $("map-colour").querySelector('[value="label"]').disabled = true;
  document.querySelectorAll("nav button").forEach((b) => (b.onclick = () => show(b.dataset.view)));
  ["map-kind", "map-dims", "map-colour"].forEach((id) => ($(id).onchange = drawMap));
  $("prev-page").onclick = () => { state.page--; loadGallery(); };
  $("next-page").onclick = () => { state.page++; loadGallery(); };
  $("search-form").onsubmit = search;
  await drawMap();
}
start().catch((error) => { document.body.prepend(el("p", error.message, "error")); });
