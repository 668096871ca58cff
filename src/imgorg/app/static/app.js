// imgorg's page: every value from the API is written with textContent, never as HTML.
"use strict";
const $ = (id) => document.getElementById(id);
const state = {
  method: null, editMethod: null, cluster: null, page: 0, pageSize: 48, summary: null,
  from: null, to: null, place: null, person: null, selected: new Set(), lastClicked: null, gallery: [], clusters: [],
  review: { kind: null, page: 0, pageSize: 24, selected: new Set(), choice: new Map(), kinds: [], waiting: false },
  people: { list: [], person: null, faces: [], selected: new Set() }, mapTicket: 0,
};

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(reason(body.detail) || response.statusText);
  return body;
}
// A refusal's detail: the library's sentence, or FastAPI's list of validation errors.
const reason = (detail) => (Array.isArray(detail) ? detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ") : detail);
const post = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
function withQuery(path, params) {
  const query = Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return query ? path + (path.includes("?") ? "&" : "?") + query : path;
}
const withMethod = (path) => withQuery(path, { method: state.method });
const withFilters = (path) => withQuery(path, { method: state.method, from: state.from, to: state.to, place: state.place, person: state.person });
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
const clusterName = (c) => (c.noise || c.id === -1 ? "noise" : c.name || `cluster ${c.id}`);
const sentence = (text) => text.charAt(0).toUpperCase() + text.slice(1);
// A thumbnail with its badges (▶ and the length of a video, RAW for a RAW+JPEG pair, LIVE for a Live Photo)
// and a button that opens the image with its details; double-click opens it too.
function thumb(image, caption) {
  const figure = el("figure");
  const img = el("img"); img.src = `/api/images/${image.id}/thumbnail`; img.alt = image.path;
  img.title = image.path + (image.taken_at ? ` · taken ${image.taken_at.replace("T", " ")}` : "");
  img.loading = "lazy"; figure.dataset.id = image.id;
  const open = el("button", "⤢", "open"); open.type = "button"; open.title = "open with its details and files";
  open.onclick = (event) => { event.stopPropagation(); openDetail(image.id).catch(report); };
  figure.ondblclick = (event) => { event.preventDefault(); openDetail(image.id).catch(report); };
  figure.append(img, open, el("figcaption", caption));
  const tags = badges(image);
  if (tags.length) figure.append(Object.assign(el("span", undefined, "tags"), { title: tags.map((t) => t.title).join(", ") }));
  tags.forEach((t) => figure.querySelector(".tags").append(t));
  return figure;
}
function badges(image) {
  const out = [];
  const tag = (text, cls, title) => Object.assign(el("span", text, "tag " + cls), { title });
  if (image.video) out.push(tag(`▶ ${duration(image.duration_s)}`.trim(), "video", "a video"));
  if (image.raw) out.push(tag("RAW", "raw", "a RAW+JPEG pair: the RAW original is kept with it"));
  if (image.live) out.push(tag("LIVE", "live", "a Live Photo: its motion video is kept with it"));
  return out;
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const total = Math.round(seconds), h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function show(view) {
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
  document.querySelectorAll(".view").forEach((v) => v.classList.toggle("active", v.id === "view-" + view));
  return ({ map: drawMap, clusters: loadClusters, methods: loadMethods, review: loadReview, people: loadPeople,
    search: async () => {} })[view]();
}
const activeView = () => document.querySelector("nav button.active").dataset.view;

// -- the map -------------------------------------------------------------------------------
function fillMapKinds() {
  const kinds = state.summary.maps[$("map-dims").value] || [];
  const options = kinds.length ? kinds.map((k) => { const o = el("option", { tsne: "t-SNE" }[k] || k.toUpperCase()); o.value = k; return o; })
    : [Object.assign(el("option", "PCA components"), { value: "" })];
  $("map-kind").replaceChildren(...options);
}

const short = (text, most = 40) => (text.length > most ? text.slice(0, most - 1) + "…" : text);  // a legend keeps the plot wide

async function drawMap() {
  const kind = $("map-kind").value, dims = +$("map-dims").value, colour = $("map-colour").value;
  const ticket = ++state.mapTicket;  // filters changed quickly: only the latest answer is drawn
  const data = await api(withFilters(withQuery("/api/map", { kind, dims, colour })));
  if (ticket !== state.mapTicket) return;
  $("map-info").className = ""; $("map-info").textContent = `${data.ids.length.toLocaleString()} images · ${data.description}`;
  // Colour by cluster (default), label, each image's main person (its largest face's) or its place.
  const by = colour === "label" && data.label ? "label" : data[colour] ? colour : "cluster";
  const groups = new Map();
  (by === "cluster" ? data.cluster : data[by]).forEach((v, i) => { if (!groups.has(v)) groups.set(v, []); groups.get(v).push(i); });
  const legend = (v) => short(by === "cluster" ? (v === -1 ? "noise" : `${v} · ${data.names[v] || "cluster " + v}`)
    : v === "" ? { person: "no face", place: "no GPS" }[by] || "" : String(v));
  const traces = [...groups.entries()].sort((a, b) => (a[0] > b[0] ? 1 : -1)).map(([value, rows]) => {
    const trace = {
      type: dims === 3 ? "scatter3d" : "scattergl", mode: "markers", name: legend(value),
      x: rows.map((i) => data.coords[0][i]), y: rows.map((i) => data.coords[1][i]),
      customdata: rows.map((i) => data.ids[i]), hoverinfo: "none",
      marker: { size: dims === 3 ? 2 : 4, opacity: 0.8 },
    };
    if (dims === 3) trace.z = rows.map((i) => data.coords[2][i]);
    return trace;
  });
  const plot = $("map-plot");
  await Plotly.react(plot, traces, { margin: { l: 0, r: 0, t: 0, b: 0 }, legend: { itemsizing: "constant", y: 0.94, yanchor: "top" } },
    { responsive: true, displaylogo: false });
  plot.dataset.points = data.ids.length;
  plot.removeAllListeners && plot.removeAllListeners("plotly_hover");
  plot.removeAllListeners && plot.removeAllListeners("plotly_click");
  plot.on("plotly_hover", (event) => hover(event.points[0].customdata).catch(report));
  plot.on("plotly_click", (event) => neighboursOf(event.points[0].customdata, $("map-neighbours")).catch(report));
}

async function hover(id) {
  const image = await api(withMethod(`/api/images/${id}`));
  $("hover-thumb").src = `/api/images/${id}/thumbnail`;
  $("hover-open").hidden = false; $("hover-open").onclick = () => openDetail(id).catch(report);
  $("hover-text").textContent = `#${image.id} · ${clusterName({ id: image.cluster, name: image.cluster_name })}` +
    (image.label ? ` · ${image.label}` : "") + (image.taken_at ? ` · ${image.taken_at.slice(0, 10)}` : "") + ` · ${image.path}`;
}

async function neighboursOf(id, target) {
  const result = await api(withMethod(`/api/search?id=${id}&k=12`), { method: "POST" });
  target.replaceChildren(...result.neighbours.map((n) => thumb(n, `${n.similarity.toFixed(3)} · ${clusterName({ id: n.cluster, name: n.cluster_name })}`)));
}

// -- clusters and their galleries ----------------------------------------------------------
const editable = () => state.method === state.editMethod;

async function loadClusters() {
  const [data, targets] = await Promise.all([api(withFilters("/api/clusters")),
    api(withQuery("/api/clusters", { method: state.editMethod }))]);
  state.clusters = data.clusters;
  fillMoveTargets(targets.clusters);
  const list = $("cluster-list");
  list.replaceChildren(...data.clusters.map((c) => {
    const li = el("li"); li.dataset.cluster = c.id;
    const box = el("input"); box.type = "checkbox"; box.value = c.id; box.title = "select to merge";
    box.disabled = !editable() || c.noise; box.onclick = (event) => { event.stopPropagation(); updateMergeButton(); };
    const size = c.size === c.total ? c.size.toLocaleString() : `${c.size.toLocaleString()} of ${c.total.toLocaleString()}`;
    const meta = (c.noise ? size : `#${c.id} · ${size}`) + (c.top_label ? ` · ${c.top_label} ${(100 * c.top_share).toFixed(0)}%` : "") +
      (c.unsorted ? " · unsorted" : "");
    li.append(box, el("span", clusterName(c), "name"), el("span", meta, "meta"));
    li.onclick = () => { selectCluster(c.id); loadGallery().catch(report); };
    return li;
  }));
  updateMergeButton();
  $("edit-hint").replaceChildren();
  if (!editable()) {
    const button = el("button", `Edit the ${state.editMethod} clustering`); button.type = "button";
    button.onclick = () => switchMethod(state.editMethod);
    $("edit-hint").append(el("span", `Rename, merge and split apply to the ${state.editMethod} clustering, not ${state.method}. `), button);
  }
  if (!data.clusters.length) {
    state.cluster = null;
    $("cluster-name").textContent = "No image taken in this date range"; $("cluster-info").textContent = "";
    $("cluster-gallery").replaceChildren(); $("page-info").textContent = ""; $("split-controls").hidden = true;
    return;
  }
  if (state.cluster === null || !data.clusters.some((c) => c.id === state.cluster)) selectCluster(data.clusters[0].id);
  await loadGallery();
}

function selectCluster(id) {
  if (id !== state.cluster) { state.page = 0; clearSelection(); }
  state.cluster = id;
}

function fillMoveTargets(clusters) {
  const select = $("move-to"), kept = select.value;
  select.replaceChildren(...clusters.filter((c) => !c.noise).map((c) => {
    const o = el("option", `${clusterName(c)} (#${c.id})`); o.value = c.id; return o;
  }));
  if ([...select.options].some((o) => o.value === kept)) select.value = kept;
  updateSelection();
}

function updateMergeButton() {
  $("merge-button").disabled = document.querySelectorAll("#cluster-list input:checked").length < 2;
}

async function loadGallery() {
  const data = await api(withFilters(`/api/clusters/${state.cluster}?page=${state.page}&page_size=${state.pageSize}`));
  document.querySelectorAll("#cluster-list li").forEach((li) => li.classList.toggle("active", +li.dataset.cluster === state.cluster));
  const name = $("cluster-name");
  name.replaceChildren(); name.textContent = clusterName(data);
  const canRename = editable() && !data.noise;
  name.classList.toggle("renamable", canRename);
  name.title = canRename ? "click to rename" : "";
  name.onclick = canRename ? () => startRename(data) : null;
  const size = data.size === data.total ? `${data.size.toLocaleString()} images` : `${data.size.toLocaleString()} of ${data.total.toLocaleString()} images in these dates`;
  $("cluster-info").textContent = `#${data.id} · ${size}` +
    (data.top_label ? `, ${(100 * data.top_share).toFixed(0)}% ${data.top_label}` : "") + " (most typical first)";
  $("split-controls").hidden = !canRename;
  state.gallery = data.images.map((im) => im.id);
  $("cluster-gallery").replaceChildren(...data.images.map((im, i) => {
    const figure = thumb(im, im.label || `#${im.id}`);
    figure.classList.toggle("selected", state.selected.has(im.id));
    figure.onclick = (event) => toggleImage(i, event.shiftKey);
    return figure;
  }));
  const pages = Math.max(1, Math.ceil(data.size / data.page_size));
  $("page-info").textContent = `page ${data.page + 1} of ${pages}`;
  $("prev-page").disabled = data.page === 0; $("next-page").disabled = data.page + 1 >= pages;
}

function startRename(cluster) {
  const name = $("cluster-name"), input = el("input");
  input.type = "text"; input.id = "rename-input"; input.maxLength = 200; input.value = cluster.name || "";
  let done = false;
  const finish = async (save) => {
    if (done) return; done = true;
    if (save) await edit(`/api/clusters/${cluster.id}/rename`, { name: input.value });
    else name.textContent = clusterName(cluster);
  };
  input.onkeydown = (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") finish(false);
  };
  input.onblur = () => finish(false);
  name.onclick = null;
  name.replaceChildren(input);
  input.focus(); input.select();
}

// Click selects or unselects an image; shift-click selects every image from the last one clicked.
function toggleImage(index, range) {
  const id = state.gallery[index];
  if (range && state.lastClicked !== null) {
    const [a, b] = [Math.min(state.lastClicked, index), Math.max(state.lastClicked, index)];
    state.gallery.slice(a, b + 1).forEach((i) => state.selected.add(i));
  } else if (state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  state.lastClicked = index;
  document.querySelectorAll("#cluster-gallery figure").forEach((f) => f.classList.toggle("selected", state.selected.has(+f.dataset.id)));
  updateSelection();
}

function clearSelection() {
  state.selected.clear(); state.lastClicked = null;
  document.querySelectorAll("#cluster-gallery figure.selected").forEach((f) => f.classList.remove("selected"));
  updateSelection();
}

function updateSelection() {
  const n = state.selected.size;
  $("selection-info").textContent = n ? `${n} image${n === 1 ? "" : "s"} selected` : "Click images to select them (shift-click for a range).";
  $("drop-button").disabled = $("clear-selection").disabled = n === 0;
  $("move-button").disabled = n === 0 || !$("move-to").options.length;
}

// -- curation: each edit is one POST; the page then shows the curated clustering --------------
// ``after`` runs on success, before the page reloads (e.g. to show the merged cluster); the status
// line says what happened once the page shows it.
// One POST that edits the curated clustering (an edit, or an action on review findings): the
// sentence it answers, or the refusal's reason; the curated clustering becomes a method the page knows.
async function postEdit(path, body, after) {
  try {
    const data = await post(path, body);
    if (!state.summary.methods.includes(data.method)) { state.summary.methods.push(data.method); fillMethods(); }
    state.editMethod = data.method;
    if (after) after(data);
    return { text: sentence(data.text), failed: false };
  } catch (error) { return { text: error.message, failed: true }; }
}

async function edit(path, body, after) {
  const done = await postEdit(path, body, (data) => { setMethod(data.method); if (after) after(data); });
  // A refused rename shows the name again; an edit shows the clusters after it.
  try { await Promise.all([loadClusters(), loadHistory()]); } catch (error) { report(error); return; }
  $("edit-status").className = done.failed ? "error" : "done"; $("edit-status").textContent = done.text;
}

function merge() {
  const clusters = [...document.querySelectorAll("#cluster-list input:checked")].map((b) => +b.value);
  const name = $("merge-name").value.trim();
  return edit("/api/clusters/merge", name ? { clusters, name } : { clusters },
    (data) => { $("merge-name").value = ""; selectCluster(data.edit.into); });
}

function split() {
  return edit(`/api/clusters/${state.cluster}/split`, { k: +$("split-k").value },
    (data) => selectCluster(+Object.keys(data.edit.parts)[0]));
}

function moveSelected(drop) {
  const images = [...state.selected];
  return drop ? edit("/api/clusters/drop", { images }, clearSelection)
    : edit("/api/clusters/move", { images, to: +$("move-to").value }, clearSelection);
}

async function loadHistory() {
  const data = await api("/api/clusters/history");
  $("history-list").replaceChildren(...data.edits.map((e) => {
    const li = el("li", `${e.text} · ${e.at.replace("T", " ").slice(0, 19)}`);
    li.classList.toggle("undone", !e.standing && e.op !== "undo");
    if (!e.standing && e.op !== "undo") li.title = "undone";
    return li;
  }));
  $("history-panel").hidden = data.edits.length === 0;
  $("undo-button").disabled = $("review-undo").disabled = !data.edits.some((e) => e.standing);
}

function switchMethod(method) { setMethod(method); state.cluster = null; show(activeView()).catch(report); }
function setMethod(method) { state.method = method; $("method").value = method; }
function fillMethods() {
  $("method").replaceChildren(...state.summary.methods.map((m) => { const o = el("option", m); o.value = m; return o; }));
  $("method").value = state.method;
}

// -- search --------------------------------------------------------------------------------
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
    } else { throw new Error("choose an image file, type an image id, or type a word"); }
    if (data.words && !data.words.reached) {  // the word reaches no class: the nearest word that does was searched
      result.textContent = data.words.searched == null ? `${data.how}.`
        : `${data.how}. ${data.neighbours.length} best matches for ${JSON.stringify(data.words.searched)}:`;
    } else if (data.how) {
      result.textContent = `${data.neighbours.length} best matches for ${JSON.stringify(data.text)} (${data.how}):`;
    } else {
      const which = data.query_id != null ? "Its cluster" : "Predicted cluster";  // an image of the workspace has its own
      const cluster = state.clusters.find((c) => c.id === data.cluster) || data.neighbours.find((n) => n.cluster === data.cluster);
      const name = cluster ? clusterName({ id: data.cluster, name: cluster.name || cluster.cluster_name }) : `cluster ${data.cluster}`;
      result.textContent = data.set_aside
        ? `#${data.query_id}: ${data.cluster_name}; nearest neighbours by cosine similarity:`
        : `${which}: ${name} (#${data.cluster}, ${data.method}); nearest neighbours by cosine similarity:`;
    }
    $("search-gallery").replaceChildren(...data.neighbours.map((n) => thumb(n,
      `${n.similarity.toFixed(3)} · ${clusterName({ id: n.cluster, name: n.cluster_name })}` + (n.label ? ` · ${n.label}` : ""))));
  } catch (error) { result.className = "error"; result.textContent = error.message; $("search-gallery").replaceChildren(); }
}

// -- methods ---------------------------------------------------------------------
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
  $("methods-note").textContent = (selection.method ? `Workspace default: ${selection.method} (${selection.reason || ""}). ` : "") +
    (state.summary.default_method === "curated" ? `The app shows "curated": your edits on ${state.summary.base_method}, not scored here. ` : "") +
    "Switch with the Method menu above.";
}

// -- review: what needs a look, per kind; accepting or keeping is an edit (undo takes it back) --------
const ACTION_WORDS = { remove: "remove", look: "look: remove?", relabel: "relabel", keep: "keep" };
// a label issue that asks for a look is relabelled when accepted, never removed
const lookWords = (f) => (state.review.kind === "label_issue" ? `look: relabel ${f.label || ""} → ${f.suggested}?` : ACTION_WORDS.look);
const keepWord = (kind) => (kind === "similar" ? "best shot" : "keep");
const STATUS_WORDS = { accepted: { remove: "removed", look: "removed", relabel: "relabelled" }, dismissed: "kept (dismissed)" };

async function loadReview() {
  const data = await api("/api/review");
  const box = $("review-notes"); box.replaceChildren(...(data.notes || []).map((n) => el("p", n)));
  const running = data.job.state === "running";
  $("review-run").disabled = running;
  $("review-run").textContent = data.stored ? "Run review again" : "Run review";
  if (running) { said("review-status", "Computing the review...", ""); setTimeout(() => loadReview().catch(report), 1000); }
  else if (state.review.waiting) {
    state.review.waiting = false;
    said("review-status", data.job.state === "failed" ? data.job.error : `Review done in ${data.job.seconds} s: ${data.job.findings} findings.`,
      data.job.state === "failed" ? "error" : "done");
  }
  await Promise.all([loadUnused(), loadCameraFiles()]);
  $("kind-pane").hidden = !data.stored || !data.kinds.length;
  if (!data.stored) { $("kind-list").replaceChildren(); $("kinds-none").textContent = data.how; return; }
  $("kinds-none").textContent = data.none_found.length ? `Nothing found: ${data.none_found.join(", ").replaceAll("_", " ")}.` : "";
  state.review.kinds = data.kinds;
  $("kind-list").replaceChildren(...data.kinds.map((k) => {
    const li = el("li"); li.dataset.kind = k.kind; li.classList.toggle("settled", k.open === 0);
    const meta = `${k.open.toLocaleString()} open` + (k.accepted ? ` · ${k.accepted} accepted` : "") + (k.dismissed ? ` · ${k.dismissed} kept` : "") +
      (k.set_aside ? ` · ${k.set_aside} set aside with other findings` : "");
    li.append(el("span", k.title, "name"), el("span", meta, "meta"));
    li.onclick = () => { chooseKind(k.kind); loadKind().catch(report); };
    return li;
  }));
  if (!data.kinds.length) return;
  const current = data.kinds.find((k) => k.kind === state.review.kind);
  if (!current) chooseKind((data.kinds.find((k) => k.open > 0) || data.kinds[0]).kind);
  await loadKind();
}

function chooseKind(kind) { if (kind !== state.review.kind) { state.review.page = 0; forgetChoices(); } state.review.kind = kind; }
// What a person ticked or unticked stays while they page through one kind (it came back preselected)
function forgetChoices() { state.review.choice = new Map(); state.review.selected = new Set(); }

async function loadKind() {
  const r = state.review, status = $("kind-status").value;
  const data = await api(withMethod(`/api/review/${r.kind}?status=${status}&page=${r.page}&page_size=${r.pageSize}`));
  document.querySelectorAll("#kind-list li").forEach((li) => li.classList.toggle("active", li.dataset.kind === r.kind));
  const counts = r.kinds.find((k) => k.kind === r.kind);
  $("kind-title").textContent = data.title;
  $("kind-info").textContent = counts ? `${counts.images.toLocaleString()} image${counts.images === 1 ? "" : "s"}` + (counts.groups ? ` in ${counts.groups} groups` : "") +
    ` · ${counts.open.toLocaleString()} open` + (counts.suggested ? ` (${counts.suggested})` : "") : "";
  $("kind-about").textContent = sentence(data.about) + (r.kind === "label_issue"
    ? ". Accepting gives an image the suggested label (Undo takes it back)."
    : ". Accepting sets an image aside: it leaves the clusters, the map, search and exports (nothing is deleted; Undo brings it back).") +
    " Keeping dismisses the finding.";
  const units = data.groups.map((unit) => reviewUnit(unit));
  $("review-grid").replaceChildren(...(units.length ? units : [el("p", `No ${$("kind-status").selectedOptions[0].text} findings of this kind.`, "note")]));
  const pages = Math.max(1, Math.ceil(data.units / data.page_size));
  if (r.page >= pages && r.page > 0) { r.page = pages - 1; return loadKind(); }
  $("review-page").textContent = `page ${data.page + 1} of ${pages}`;
  $("review-prev").disabled = data.page === 0; $("review-next").disabled = data.page + 1 >= pages;
  $("accept-kind").disabled = $("dismiss-kind").disabled = !counts || counts.open === 0;
  updateReviewSelection();
}

// A group (copies side by side, the kept one marked) or one finding (with its match in another split).
function reviewUnit(unit) {
  const box = el("div", undefined, "unit"), gallery = el("div", undefined, "gallery");
  const inside = new Set(unit.images.map((f) => f.id));
  unit.images.forEach((f) => gallery.append(findingFigure(f)));
  unit.images.filter((f) => f.partner !== null && !inside.has(f.partner)).forEach((f) => {
    const match = `#${f.partner}` + (f.partner_split ? ` in ${f.partner_split}` : "");  // found by id or search
    const figure = thumb({ id: f.partner, path: match }, `its match ${match}`);
    figure.classList.add("context"); figure.title = `the image #${f.id} matches: ${match}`; gallery.append(figure);
  });
  const shown = unit.images.find((f) => f.action === "keep") || unit.images[0];
  box.append(gallery, el("p", sentence(shown.reason), "reason"));
  // a copy that asks for a look says why under the group (labels that differ), not only in its tooltip
  unit.images.filter((f) => f !== shown && f.action === "look" && state.review.kind === "copy")
    .forEach((f) => box.append(el("p", `#${f.id}: ${sentence(f.reason)}`, "reason look")));
  return box;
}

function findingFigure(f) {
  const where = f.cluster === -1 && f.cluster_name ? f.cluster_name : clusterName({ id: f.cluster, name: f.cluster_name });  // "set aside ...", not "noise"
  const open = f.status === "open", figure = thumb(f, `#${f.id} · ${where}`);
  figure.title = `${f.path}: ${f.reason}`;
  const words = !open ? (f.status === "dismissed" ? STATUS_WORDS.dismissed : f.status === "set aside" ? "removed (another finding)"
    : state.review.kind === "label_issue" ? STATUS_WORDS.accepted.relabel : STATUS_WORDS.accepted[f.action] || "kept")
    : f.action === "relabel" ? `relabel ${f.label || ""} → ${f.suggested}`
    : f.action === "look" ? lookWords(f)
    : f.action === "keep" ? keepWord(state.review.kind) : ACTION_WORDS[f.action] || f.action;
  figure.insertBefore(el("span", words + (f.split ? ` · ${f.split}` : ""), "badge"), figure.querySelector("figcaption"));
  if (f.action === "keep") { figure.classList.add("kept"); return figure; }  // a series' best shot, a set's copy kept
  if (!open) { figure.classList.add("done"); return figure; }
  const box = el("input"); box.type = "checkbox"; box.title = "select to accept or keep";
  const r = state.review, suggested = f.action === "remove" || f.action === "relabel";  // the suggestion, preselected
  box.checked = r.choice.has(f.id) ? r.choice.get(f.id) : suggested;
  if (box.checked) r.selected.add(f.id); else r.selected.delete(f.id);
  figure.classList.toggle("chosen", box.checked);
  const toggle = (on) => { box.checked = on; figure.classList.toggle("chosen", on); r.choice.set(f.id, on);
    if (on) r.selected.add(f.id); else r.selected.delete(f.id); updateReviewSelection(); };
  box.onclick = (event) => { event.stopPropagation(); toggle(box.checked); };
  figure.onclick = () => toggle(!box.checked);
  figure.prepend(box);
  return figure;
}

// Select every open finding shown, or none (to accept one, a person unticked 23 boxes)
function selectShown(on) {
  document.querySelectorAll("#review-grid figure input[type=checkbox]").forEach((box) => {
    if (box.checked !== on) box.click();
  });
}

function updateReviewSelection() {
  const n = state.review.selected.size;
  $("review-selection").textContent = `${n} selected`;
  $("accept-selected").disabled = $("dismiss-selected").disabled = n === 0;
}

// One action on the findings; then the counts, the grid and the history show what it did (the map and
// the clusters are drawn again when their tab is shown).
async function reviewAct(path, body) {
  if (state.review.busy) return;
  const buttons = ["accept-selected", "dismiss-selected", "accept-kind", "dismiss-kind"].map($);
  state.review.busy = true; buttons.forEach((b) => (b.disabled = true));
  try {
    const done = await postEdit(path, body);
    if (!done.failed) forgetChoices();  // acted on: the grid shows what is open now, preselected again
    api("/api/summary").then((s) => {
      state.summary.removed = s.removed;
      // the first edit makes the workspace curated: show that clustering, where the edits are
      if (s.default_method === "curated" && state.summary.default_method !== "curated") {
        state.summary.default_method = "curated"; state.editMethod = "curated";
        if (state.method === state.summary.base_method) setMethod("curated");
      }
      showSummary();
    }).catch(() => {});
    try { await Promise.all([loadReview(), loadHistory()]); } catch (error) { report(error); return; }
    said("review-status", done.text, done.failed ? "error" : "done");
  } finally { state.review.busy = false; updateReviewSelection(); }
}

const ids = () => [...state.review.selected];

// What accepting a whole kind does, asked first: it takes the findings that only ask for a look too,
// which the grid leaves unselected (a burst's other frames, an unsure label, copies labelled apart).
function confirmKind() {
  const counts = state.review.kinds.find((k) => k.kind === state.review.kind);
  if (!counts) return true;
  const n = counts.open, looks = (counts.open_actions || {}).look || 0;
  const verb = state.review.kind === "label_issue" ? "relabels" : "sets aside";
  return window.confirm(`Accept all ${n} open ${counts.title.toLowerCase()} findings? This ${verb} ${n} image${n === 1 ? "" : "s"}` +
    (looks ? `, ${looks} of them only marked for a look (not selected in the grid)` : "") +
    ". Undo takes it back; \"Accept selected\" acts on the selected ones only.");
}
function said(id, text, cls) { $(id).className = cls; $(id).textContent = text; }

async function runReview() {
  try { await post("/api/review/run"); state.review.waiting = true; } catch (error) { said("review-status", error.message, "error"); return; }
  await loadReview();
}

async function loadUnused() {
  const data = await api("/api/quality");
  const box = $("quality"); box.replaceChildren();
  const skipped = data.skipped_count || 0;
  $("unused-title").textContent = `Files not used (${state.summary.failed + skipped})`;
  box.append(el("h3", `Could not be decoded (${state.summary.failed})`));
  const failed = el("ul"); data.failed.forEach((f) => failed.append(el("li", `${f.path}: ${f.error}`))); box.append(failed);
  if (data.skipped && data.skipped.length) { box.append(el("h3", `Skipped: not images (${skipped})`));
    const list = el("ul"); data.skipped.forEach((f) => list.append(el("li", `${f.path}: ${f.reason}${f.detail ? ` (${f.detail})` : ""}`))); box.append(list); }
}

// -- the date range ----------------------------------------------------------------------------
function setUpDates() {
  const dates = state.summary.dates;
  const first = dates.first ? dates.first.slice(0, 10) : "", last = dates.last ? dates.last.slice(0, 10) : "";
  ["date-from", "date-to"].forEach((id) => { $(id).min = first; $(id).max = last; $(id).onchange = changeDates; });
  $("date-clear").onclick = () => { $("date-from").value = $("date-to").value = ""; changeDates(); };
  const sources = [`${dates.metadata ?? dates.exif} from the photos' metadata`, `${dates.file} from file times`].concat(dates.unknown ? [`${dates.unknown} unknown`] : []);
  $("dates-info").textContent = first ? `(${first} to ${last}; ${sources.join(", ")})` : "(no capture dates)";
}

function changeDates() {
  state.from = $("date-from").value || null; state.to = $("date-to").value || null;
  state.place = $("place-filter").value || null; state.person = $("person-filter").value || null;
  const view = activeView();
  if (view === "map" || view === "clusters") show(view).catch(report);
}

// -- places and people beside the dates: filters the map and the clusters the same way ----------------
async function setUpPlaces() {
  $("place-filter").onchange = changeDates;
  if (!state.summary.has_places) { $("map-colour").querySelector('[value="place"]').disabled = true; return; }
  const data = await api("/api/places");
  const group = (label, values) => { const g = el("optgroup"); g.label = label;
    g.append(...values.map((v) => Object.assign(el("option", v), { value: v }))); return g; };
  const countries = [...new Set(data.places.map((p) => p.country))];
  $("place-filter").replaceChildren(Object.assign(el("option", "all places"), { value: "" }),
    group("Countries", countries), group("Cities", [...new Set(data.places.map((p) => p.city))]));
  $("place-filter-label").hidden = false;
}

function fillPersonFilter(people) {
  const select = $("person-filter"), kept = select.value;
  select.replaceChildren(Object.assign(el("option", "anyone"), { value: "" }),
    ...people.map((p) => Object.assign(el("option", personName(p)), { value: String(p.person) })));
  select.value = [...select.options].some((o) => o.value === kept) ? kept : "";
  if (select.value !== kept) changeDates();  // the person filtered by was merged away or undone
  $("person-filter-label").hidden = false;
}

// -- people: one face per person, their faces and photos; each edit one POST, Undo takes it back -----
const NO_ONE = -1;  // the faces of no one (too small, or "not this person")
const personName = (p) => p.name || `person ${p.person}`;
const byName = (list) => [...list.filter((p) => p.name), ...list.filter((p) => !p.name)];  // unnamed last

async function loadPeople() {
  $("people-pane").hidden = !state.summary.has_people;
  $("people-none").hidden = state.summary.has_people;
  if (!state.summary.has_people) {
    $("people-none").textContent = "No faces in this workspace yet: run `imgorg people WS` (pip install 'imgorg[people]') " +
      "to find the faces and group them into people, then reload this page.";
    return;
  }
  const people = byName(await api("/api/people"));
  state.people.list = people;
  fillPersonFilter(people);
  const items = people.map((p) => {
    const li = el("li"); li.dataset.person = p.person;
    const box = el("input"); box.type = "checkbox"; box.value = p.person; box.title = "select to merge";
    box.onclick = (event) => { event.stopPropagation(); updatePeopleMerge(); };
    const face = el("img"); face.className = "face"; face.src = `/api/people/faces/${p.cover_face}/crop`; face.alt = personName(p);
    li.append(box, face, el("span", personName(p), p.name ? "name" : "name unnamed"),
      el("span", `${p.faces} face${p.faces === 1 ? "" : "s"} · ${p.images} photo${p.images === 1 ? "" : "s"}`, "meta"));
    li.onclick = () => selectPerson(p.person).catch(report);
    return li;
  });
  const noOne = el("li"); noOne.dataset.person = NO_ONE;
  noOne.append(el("span", "Faces of no one", "name unnamed"), el("span", "not grouped", "meta"));
  noOne.onclick = () => selectPerson(NO_ONE).catch(report);
  $("person-list").replaceChildren(...items, noOne);
  updatePeopleMerge();
  const current = state.people.person;
  if (current === null || (current !== NO_ONE && !people.some((p) => p.person === current))) state.people.person = people.length ? people[0].person : NO_ONE;
  await Promise.all([loadPerson(), loadPeopleHistory()]);
}

function updatePeopleMerge() {
  $("people-merge").disabled = document.querySelectorAll("#person-list input:checked").length < 2;
}

async function selectPerson(id) {
  if (id !== state.people.person) state.people.selected.clear();
  state.people.person = id;
  await loadPerson();
}

async function loadPerson() {
  const id = state.people.person, p = state.people.list.find((q) => q.person === id);
  document.querySelectorAll("#person-list li").forEach((li) => li.classList.toggle("active", +li.dataset.person === id));
  $("person-name").textContent = id === NO_ONE ? "Faces of no one" : personName(p);
  $("person-info").textContent = p ? `#${id} · ${p.faces} faces in ${p.images} photos` : "too small, unsure, or marked not their person";
  $("person-rename").hidden = id === NO_ONE;
  $("person-name-input").value = p ? p.name : "";
  $("face-move-to").replaceChildren(...state.people.list.filter((q) => q.person !== id)
    .map((q) => Object.assign(el("option", `${personName(q)} (#${q.person})`), { value: q.person })));
  const faces = await api(`/api/people/faces?person=${id}&limit=200`);
  state.people.faces = faces.map((f) => f.face_id);
  $("face-gallery").replaceChildren(...faces.map((f) => {
    const figure = el("figure"); figure.dataset.face = f.face_id;
    const img = el("img"); img.src = `/api/people/faces/${f.face_id}/crop`; img.alt = `face ${f.face_id}`; img.loading = "lazy";
    img.title = `face #${f.face_id} in image #${f.image_id} (detection score ${f.score.toFixed(2)})`;
    figure.append(img, el("figcaption", `#${f.face_id}`));
    figure.classList.toggle("selected", state.people.selected.has(f.face_id));
    figure.onclick = () => toggleFace(f.face_id);
    return figure;
  }));
  $("face-more").textContent = p && p.faces > faces.length ? `The ${faces.length} largest of ${p.faces} faces.` : "";
  updateFaceSelection();
  if (id === NO_ONE) { $("person-photos").replaceChildren(); $("photos-more").textContent = ""; return; }
  const photos = await api(withQuery("/api/people/images", { person: id, method: state.method }));
  $("person-photos").replaceChildren(...photos.images.map((im) => thumb(im, `#${im.id}`)));
  $("photos-more").textContent = photos.ids.length > photos.images.length ? `The first ${photos.images.length} of ${photos.ids.length} photos.` : "";
}

function toggleFace(id) {
  const chosen = state.people.selected;
  if (chosen.has(id)) chosen.delete(id); else chosen.add(id);
  document.querySelectorAll("#face-gallery figure").forEach((f) => f.classList.toggle("selected", chosen.has(+f.dataset.face)));
  updateFaceSelection();
}

function updateFaceSelection() {
  const n = [...state.people.selected].filter((f) => state.people.faces.includes(f)).length, someone = state.people.person !== NO_ONE;
  $("face-selection").textContent = n ? `${n} face${n === 1 ? "" : "s"} selected` : "Click faces to select them.";
  $("face-split").disabled = $("face-not").disabled = n === 0 || !someone;
  $("face-move").disabled = n === 0 || !$("face-move-to").options.length;
}

// One POST that edits the people; then the list, the person shown and the history show what it did.
async function peopleEdit(path, body, after) {
  let text, failed = false;
  try { const data = await post(path, body); if (after) after(data); text = sentence(data.said); }
  catch (error) { text = error.message; failed = true; }
  try { await loadPeople(); } catch (error) { report(error); return; }
  said("people-status", text, failed ? "error" : "done");
}

const selectedFaces = () => [...state.people.selected].filter((f) => state.people.faces.includes(f));
const dropFaceSelection = () => state.people.selected.clear();

function mergePeople() {
  const persons = [...document.querySelectorAll("#person-list input:checked")].map((b) => +b.value);
  const name = $("people-merge-name").value.trim();
  return peopleEdit("/api/people/merge", name ? { persons, name } : { persons },
    (data) => { $("people-merge-name").value = ""; state.people.person = data.edit.persons[0]; });
}

async function loadPeopleHistory() {
  const edits = await api("/api/people/history");
  $("people-history").replaceChildren(...edits.map((e) => {
    const li = el("li", `${e.said} · ${e.at.replace("T", " ").slice(0, 19)}`);
    li.classList.toggle("undone", !e.standing && e.op !== "undo");
    return li;
  }));
  $("people-history-panel").hidden = edits.length === 0;
  $("people-undo").disabled = !edits.some((e) => e.standing && e.op !== "undo");
}

function setUpPeople() {
  $("person-rename").onsubmit = (event) => { event.preventDefault();
    peopleEdit(`/api/people/${state.people.person}/name`, { name: $("person-name-input").value }); };
  $("people-merge").onclick = mergePeople;
  $("people-undo").onclick = () => peopleEdit("/api/people/undo");
  $("face-split").onclick = () => peopleEdit(`/api/people/${state.people.person}/split`, { faces: selectedFaces() }, dropFaceSelection);
  $("face-move").onclick = () => peopleEdit("/api/people/move", { faces: selectedFaces(), to: +$("face-move-to").value }, dropFaceSelection);
  $("face-not").onclick = () => peopleEdit("/api/people/not", { faces: selectedFaces() }, dropFaceSelection);
  $("person-filter").onchange = changeDates;
  if (!state.summary.has_people) { $("map-colour").querySelector('[value="person"]').disabled = true; return Promise.resolve(); }
  return api("/api/people").then((people) => fillPersonFilter(byName(people)));
}

// -- one image, large, with its details and the files of its shot --------------------------------
const stars = (rating) => (rating < 0 ? "rejected" : "★".repeat(rating) + "☆".repeat(Math.max(0, 5 - rating)));
function offsetText(minutes) {
  const sign = minutes < 0 ? "-" : "+", a = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}
function link(part, download) {
  const a = el("a", part.name); a.href = part.url; a.title = `${part.path} (${part.type})`;
  if (download) a.download = part.name; else a.target = "_blank";
  return a;
}
function video(src, cls, poster) {
  const v = el("video", undefined, cls); v.src = src; v.controls = true; v.preload = "metadata"; v.playsInline = true;
  if (poster) v.poster = poster;
  return v;
}

async function openDetail(id) {
  const d = await api(withMethod(`/api/images/${id}`)), dialog = $("detail");
  $("detail-title").textContent = `#${d.id} · ${d.path}`;
  const media = $("detail-media"); media.replaceChildren();
  const preview = `/api/images/${d.id}/preview`;
  if (d.video) {  // a video item: its poster until played (a click on it plays it)
    const player = video(d.parts.file.url, "item", preview); player.id = "detail-video";
    media.append(player, el("p", `▶ video · ${duration(d.duration_s)} · click to play`, "note"));
  } else {
    const img = el("img"); img.src = preview; img.alt = d.path; media.append(img);
    if (d.parts.motion) {  // a Live Photo: its motion plays below the still
      const motion = video(d.parts.motion.url, "motion"); motion.id = "detail-motion"; motion.muted = true; motion.loop = true;
      img.onmouseenter = () => motion.play().catch(() => {});
      media.append(el("p", `LIVE · the Live Photo's motion (${d.parts.motion.name}); hover the still or press play`, "note"), motion);
    }
  }
  const facts = [["Cluster", clusterName({ id: d.cluster, name: d.cluster_name })], ["Label", d.label],
    ["Format", d.format ? `${d.format}${d.width ? ` · ${d.width} × ${d.height}` : ""}` : null],
    ["Duration", d.video ? duration(d.duration_s) : null], ["Camera", d.camera],
    ["Taken", d.taken_at ? d.taken_at.replace("T", " ") + (d.taken_at_offset_min !== null && d.taken_at_source !== "file" ? ` (${offsetText(d.taken_at_offset_min)})` : "") : "unknown"],
    ["Time from", d.taken_from], ["Place", d.place || null], ["GPS", d.gps ? d.gps.map((v) => v.toFixed(5)).join(", ") : null],
    ...d.notes.map((n) => ["Note", n])];
  $("detail-facts").replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => {
    const dd = el("dd", v); if (k === "Note") dd.className = "warn";
    if (k === "Time from") dd.dataset.source = d.taken_at_source;
    return [el("dt", k), dd];
  }));
  const parts = [["Photo", d.parts.file, false]];
  if (d.video) parts[0][0] = "Video";
  if (d.parts.original) parts.push(["RAW original", d.parts.original, true]);
  if (d.parts.motion) parts.push(["Live Photo video", d.parts.motion, false]);
  d.parts.sidecars.forEach((p) => parts.push([`Sidecar (${p.kind})`, p, true]));
  $("detail-parts").replaceChildren(...parts.map(([what, part, download]) => {
    const li = el("li", `${what}: `); li.dataset.part = what; li.append(link(part, download)); return li;
  }));
  const said = $("detail-sidecar"); said.replaceChildren();
  if (d.rating !== null || d.keywords.length || d.description) {
    said.append(el("h3", "From the sidecars"));
    const dl = el("dl"); dl.id = "sidecar-facts";
    if (d.rating !== null) { const dd = el("dd", stars(d.rating), "stars"); dd.title = `rating ${d.rating} of 5`; dl.append(el("dt", "Rating"), dd); }
    if (d.keywords.length) dl.append(el("dt", "Keywords"), el("dd", d.keywords.join(", ")));
    if (d.description) dl.append(el("dt", "Description"), el("dd", d.description));
    said.append(dl);
  }
  if (!dialog.open) dialog.showModal();
}

function closeDetail() {  // stop what plays and let go of the files
  $("detail-media").querySelectorAll("video").forEach((v) => { v.pause(); v.removeAttribute("src"); v.load(); });
}

// -- the Review tab's camera files: what imgorg read beside the photos ---------------------------
async function loadCameraFiles() {
  const d = await api("/api/camera-files"), plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;
  const kinds = Object.entries(d.sidecars.by_kind).map(([k, n]) => `${n} ${k}`).join(", ");
  const formats = Object.entries(d.videos.formats).map(([k, n]) => `${n} ${k}`).join(", ");
  const rows = [
    ["pairs", plural(d.pairs.count, "RAW+JPEG pair") + (d.pairs.count ? " (one photo each, the RAW kept as its original)" : ""), d.pairs.examples],
    ["live", plural(d.live_photos.count, "Live Photo") + (d.live_photos.count ? " (the still, its video kept as its motion)" : ""), d.live_photos.examples],
    ["sidecars", plural(d.sidecars.files, "sidecar") + (d.sidecars.files ? ` (${kinds}) on ${plural(d.sidecars.photos, "photo")}; ` +
      `${d.sidecars.with_rating} rated, ${d.sidecars.with_keywords} with keywords` : ""), []],
    ["videos", plural(d.videos.count, "video") + (d.videos.count ? `, ${duration(d.videos.duration_s)} in all (${formats})` : "") +
      (d.videos.failed ? `; ${d.videos.failed} could not be read (see Files not used)` : ""), d.videos.examples],
    ["truncated", plural(d.truncated.count, "file") + " cut short, shown as far as the data goes" +
      " (one that lacks too much is under Files not used)", d.truncated.examples],
  ];
  $("camera-files").replaceChildren(...rows.map(([kind, text, examples]) => {
    const li = el("li", text); li.dataset.kind = kind;
    if (examples.length) {
      const files = el("div");
      examples.filter((e) => e.id !== null).forEach((e) => {
        const b = el("button", e.path.split("/").pop(), "file"); b.type = "button"; b.title = e.path;
        b.onclick = () => openDetail(e.id).catch(report); files.append(b);
      });
      li.append(files);
    }
    return li;
  }));
}

function report(error) {
  const line = { review: "review-status", people: "people-status", map: "map-info" }[activeView()] || "edit-status";
  $(line).className = "error"; $(line).textContent = error.message; console.warn(error);
}

function showSummary() {  // the images, and how many of them a review set aside (they are on no page)
  const s = state.summary;
  $("summary").textContent = `${s.images.toLocaleString()} images` + (s.removed ? ` (${s.removed.toLocaleString()} set aside)` : "") +
    ` · ${s.backbone}`;
}

async function start() {
  state.summary = await api("/api/summary");
  state.method = state.summary.default_method;
  state.editMethod = state.summary.edit_method;
  showSummary();
  fillMethods();
  $("method").onchange = () => switchMethod($("method").value);
  if (!state.summary.has_labels) $("map-colour").querySelector('[value="label"]').disabled = true;
  if (!state.summary.text_search) { $("search-text").disabled = true; $("search-text").placeholder = "this backbone has no text search"; }
  document.querySelectorAll("nav button").forEach((b) => (b.onclick = () => show(b.dataset.view).catch(report)));
  fillMapKinds();
  $("map-dims").onchange = () => { fillMapKinds(); drawMap().catch(report); };
  ["map-kind", "map-colour"].forEach((id) => ($(id).onchange = () => drawMap().catch(report)));
  $("prev-page").onclick = () => { state.page--; loadGallery().catch(report); };
  $("next-page").onclick = () => { state.page++; loadGallery().catch(report); };
  $("merge-button").onclick = merge;
  $("split-button").onclick = split;
  $("move-button").onclick = () => moveSelected(false);
  $("drop-button").onclick = () => moveSelected(true);
  $("clear-selection").onclick = clearSelection;
  $("undo-button").onclick = () => edit("/api/clusters/undo");
  $("search-form").onsubmit = search;
  // one query at a time: the field changed last is the one searched, the others are cleared
  const queries = ["search-file", "search-id", "search-text"];
  queries.forEach((id) => ($(id).oninput = () => queries.filter((other) => other !== id).forEach((other) => ($(other).value = ""))));
  $("review-undo").onclick = () => reviewAct("/api/clusters/undo");
  $("review-run").onclick = runReview;
  $("detail").onclose = closeDetail;
  $("accept-selected").onclick = () => reviewAct("/api/review/accept", { kind: state.review.kind, ids: ids() });
  $("dismiss-selected").onclick = () => reviewAct("/api/review/dismiss", { kind: state.review.kind, ids: ids() });
  $("accept-kind").onclick = () => { if (confirmKind()) reviewAct("/api/review/accept", { kind: state.review.kind }); };
  $("select-all").onclick = () => selectShown(true);
  $("select-none").onclick = () => selectShown(false);
  $("dismiss-kind").onclick = () => reviewAct("/api/review/dismiss", { kind: state.review.kind });
  $("kind-status").onchange = () => { state.review.page = 0; forgetChoices(); loadKind().catch(report); };
  $("review-prev").onclick = () => { state.review.page--; loadKind().catch(report); };
  $("review-next").onclick = () => { state.review.page++; loadKind().catch(report); };
  setUpDates();
  await Promise.all([setUpPlaces(), setUpPeople()]);
  await Promise.all([drawMap(), loadHistory()]);
}
start().catch((error) => { document.body.prepend(el("p", error.message, "error")); });
