// caravan dashboard. It calls the Fleet API with the bearer token kept in
// sessionStorage, and reads a run's live view from /ui/stream with fetch
// (so the token goes in the Authorization header, never in a URL).
"use strict";

const API_VERSION = "2025-04-01-preview";
const DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
const RP = "/providers/Microsoft.ContainerService/fleets";

const session = {
  get token() { return sessionStorage.getItem("caravan.token") || ""; },
  get subscription() { return sessionStorage.getItem("caravan.subscription") || DEFAULT_SUBSCRIPTION; },
  save(token, sub) {
    sessionStorage.setItem("caravan.token", token);
    sessionStorage.setItem("caravan.subscription", sub || DEFAULT_SUBSCRIPTION);
  },
  clear() { sessionStorage.removeItem("caravan.token"); },
};

// ---- small DOM helpers -------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (sel) => document.querySelector(sel);

function stateBadge(state) {
  return h("span", { class: "state " + state, "data-state": state }, state);
}

function progressBar(done, total, big) {
  const pct = total > 0 ? Math.round((done * 100) / total) : 0;
  const fill = h("i", {});
  // Through the CSSOM: the page's Content-Security-Policy refuses inline
  // style attributes.
  fill.style.width = pct + "%";
  return h("span", { class: "bar" + (big ? " big" : ""), role: "progressbar", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 }, fill);
}

function fmtDuration(ms) {
  if (ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 10) return s.toFixed(1) + "s";
  if (s < 60) return Math.floor(s) + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
}

function fmtClock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function fmtWhen(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? fmtClock(iso) : d.toLocaleString([], { hour12: false });
}

function segmentAfter(id, name) {
  const parts = (id || "").split("/");
  for (let i = 0; i + 1 < parts.length; i++) {
    if (parts[i].toLowerCase() === name.toLowerCase()) return parts[i + 1];
  }
  return "";
}

// ---- messages ----------------------------------------------------------

function flash(kind, text) {
  const el = $("#flash");
  el.className = "flash " + kind;
  el.textContent = text;
  el.hidden = false;
  el.setAttribute("data-kind", kind);
}

function clearFlash() {
  const el = $("#flash");
  el.hidden = true;
  el.textContent = "";
}

// ---- the Fleet API -----------------------------------------------------

class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  toString() { return `${this.status} ${this.code}: ${this.message}`; }
}

async function call(method, path, body) {
  const url = path.includes("?") ? path : path + "?api-version=" + API_VERSION;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: Object.assign({ Authorization: "Bearer " + session.token }, body !== undefined ? { "Content-Type": "application/json" } : {}),
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
  } catch (e) {
    throw new APIError(0, "Unreachable", "the caravan server did not answer: " + e.message);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new APIError(res.status, err.code || res.statusText, err.message || text || res.statusText);
  }
  return data;
}

// list follows nextLink until the collection ends.
async function list(path) {
  let items = [];
  let next = path;
  while (next) {
    const page = await call("GET", next);
    items = items.concat(page.value || []);
    next = page.nextLink ? new URL(page.nextLink, location.href).pathname + new URL(page.nextLink, location.href).search : "";
  }
  return items;
}

// failed shows an API error; a 401 sends the user back to sign in.
function failed(err) {
  if (err instanceof APIError && err.status === 401) {
    session.clear();
    renderSignIn(err.message);
    return;
  }
  flash("error", err instanceof APIError ? err.toString() : String(err));
}

// ---- routing -----------------------------------------------------------
// #/                   fleets
// #/fleet?id=…&tab=…   a fleet's members or runs
// #/run?id=…           a run, live

let leave = () => {};

function route() {
  leave();
  leave = () => {};
  clearFlash();
  if (!session.token) { renderSignIn(); return; }
  $("#signout").hidden = false;
  const hash = location.hash.slice(1) || "/";
  const [path, query] = hash.split("?");
  const q = new URLSearchParams(query || "");
  if (path === "/fleet" && q.get("id")) return renderFleet(q.get("id"), q.get("tab") || "members");
  if (path === "/run" && q.get("id")) return renderRun(q.get("id"));
  return renderFleets();
}

function crumbs(...items) {
  const nav = $("#crumbs");
  nav.replaceChildren();
  items.forEach((it, i) => {
    if (i > 0) nav.append(h("span", { class: "sep" }, "›"));
    nav.append(it.href ? h("a", { href: it.href }, it.text) : h("span", {}, it.text));
  });
}

function fleetHref(id, tab) { return "#/fleet?id=" + encodeURIComponent(id) + (tab ? "&tab=" + tab : ""); }
function runHref(id) { return "#/run?id=" + encodeURIComponent(id); }
function fleetIdOf(childId) { return childId.replace(/\/(members|updateRuns|updateStrategies)\/[^/]+$/i, ""); }

// ---- sign in -----------------------------------------------------------

function renderSignIn(message) {
  $("#signout").hidden = true;
  crumbs();
  const token = h("input", { id: "token", type: "password", autocomplete: "current-password", required: true, placeholder: "bearer token" });
  const sub = h("input", { id: "subscription", type: "text", value: session.subscription, spellcheck: "false" });
  const form = h("form", { class: "card signin", id: "signin" },
    h("h1", {}, "Sign in to caravan"),
    h("p", { class: "sub" }, "Use a token this server knows: CARAVAN_TOKEN, one from the token file, or the generated admin token in the data directory."),
    h("label", { for: "token" }, "Token"), token,
    h("label", { for: "subscription" }, "Subscription"), sub,
    h("p", { class: "hint" }, "The token stays in this browser tab's session storage and is sent only to this server."),
    h("p", {}, h("button", { class: "primary", type: "submit", id: "signin-button" }, "Sign in")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    session.save(token.value.trim(), sub.value.trim());
    try {
      await call("GET", "/subscriptions/" + encodeURIComponent(session.subscription) + RP);
      clearFlash();
      route(); // the page the address asks for, now signed in
    } catch (err) {
      session.clear();
      flash("error", err.toString());
    }
  });
  $("#main").replaceChildren(form);
  if (message) flash("error", message);
  token.focus();
}

// ---- fleets ------------------------------------------------------------

async function renderFleets() {
  crumbs({ text: "Fleets" });
  const main = $("#main");
  main.replaceChildren(h("h1", {}, "Fleets"), h("p", { class: "sub" }, "Subscription " + session.subscription));
  let fleets;
  try { fleets = await list("/subscriptions/" + encodeURIComponent(session.subscription) + RP); } catch (err) { return failed(err); }
  if (fleets.length === 0) {
    main.append(h("div", { class: "card empty" }, "No fleets in this subscription yet. Create one with: caravan fleet create -n fleet-1 -l eastus"));
    return;
  }
  fleets.sort((a, b) => a.id.localeCompare(b.id));
  const rows = fleets.map((f) => {
    const members = h("td", { "data-label": "Members" }, "…");
    const latest = h("td", { "data-label": "Latest run" }, "…");
    // Filled in after the table shows, one fleet at a time in parallel.
    summarize(f.id, members, latest);
    return h("tr", { "data-fleet": f.name },
      h("td", { "data-label": "Fleet" }, h("a", { href: fleetHref(f.id) }, f.name)),
      h("td", { "data-label": "Resource group" }, segmentAfter(f.id, "resourceGroups")),
      h("td", { "data-label": "Location" }, f.location || ""),
      members, latest);
  });
  main.append(h("table", { class: "stack", id: "fleets" },
    h("thead", {}, h("tr", {}, h("th", {}, "Fleet"), h("th", {}, "Resource group"), h("th", {}, "Location"), h("th", {}, "Members"), h("th", {}, "Latest run"))),
    h("tbody", {}, rows)));
}

// summarize fills a fleet's member count and its latest run.
async function summarize(fleetId, membersCell, latestCell) {
  try {
    const [members, runs] = await Promise.all([list(fleetId + "/members"), list(fleetId + "/updateRuns")]);
    membersCell.replaceChildren(h("a", { href: fleetHref(fleetId, "members") }, String(members.length)));
    if (runs.length === 0) { latestCell.replaceChildren(h("span", { class: "meta" }, "none")); return; }
    const started = (r) => (r.properties.status && r.properties.status.status.startTime) || "";
    runs.sort((a, b) => started(b).localeCompare(started(a)) || b.name.localeCompare(a.name));
    const r = runs[0];
    const st = (r.properties.status && r.properties.status.status) || { state: "NotStarted" };
    const c = runCounts(r);
    latestCell.replaceChildren(h("a", { href: runHref(r.id) }, r.name), " ", stateBadge(st.state), h("span", { class: "meta" }, ` ${c.done}/${c.total}`),
      runs.length > 1 ? [" · ", h("a", { href: fleetHref(fleetId, "runs") }, `${runs.length} runs`)] : "");
  } catch (err) {
    membersCell.textContent = latestCell.textContent = "";
    if (err instanceof APIError && err.status === 401) failed(err);
  }
}

// ---- a fleet: members and runs ----------------------------------------

async function renderFleet(id, tab) {
  const name = segmentAfter(id, "fleets");
  crumbs({ text: "Fleets", href: "#/" }, { text: name });
  const main = $("#main");
  main.replaceChildren(
    h("h1", {}, "Fleet " + name),
    h("p", { class: "sub" }, "Resource group " + segmentAfter(id, "resourceGroups")),
    h("div", { class: "tabs" },
      h("a", { href: fleetHref(id, "members"), class: tab === "members" ? "on" : "" }, "Members"),
      h("a", { href: fleetHref(id, "runs"), class: tab === "runs" ? "on" : "" }, "Update runs")));
  const body = h("div", { id: "tab-" + tab });
  main.append(body);
  try {
    if (tab === "runs") await renderRuns(id, body);
    else await renderMembers(id, body);
  } catch (err) { failed(err); }
}

// majority returns the most common value of a list (ties: the first in
// sort order), or "" for none.
function majority(values) {
  const n = new Map();
  for (const v of values) if (v) n.set(v, (n.get(v) || 0) + 1);
  let best = "", count = 0;
  for (const [v, c] of [...n.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (c > count) { best = v; count = c; }
  }
  return best;
}

function poolsOf(m) {
  const c = (m.properties && m.properties.cluster) || {};
  if (c.nodePools && c.nodePools.length) return c.nodePools;
  return (c.nodeImageVersions || []).map((v) => ({ name: "", nodeImageVersion: v }));
}

async function renderMembers(fleetId, body) {
  const members = await list(fleetId + "/members");
  if (members.length === 0) {
    body.append(h("div", { class: "card empty" }, "This fleet has no members yet. Add one with: caravan member create"));
    return;
  }
  const k8s = majority(members.map((m) => ((m.properties.cluster || {}).kubernetesVersion)));
  const imageKey = (p) => (p.nodeImageVersion || "").replace(/-\d{6}\.\d+\.\d+$/, "");
  // The majority image of each image family (the version without its date).
  const families = new Map();
  for (const m of members) for (const p of poolsOf(m)) {
    if (!p.nodeImageVersion) continue;
    const fam = imageKey(p);
    if (!families.has(fam)) families.set(fam, []);
    families.get(fam).push(p.nodeImageVersion);
  }
  const imageMajority = new Map([...families.entries()].map(([f, vs]) => [f, majority(vs)]));
  const drifting = members.filter((m) => {
    const c = m.properties.cluster || {};
    return (c.kubernetesVersion && c.kubernetesVersion !== k8s) || poolsOf(m).some((p) => p.nodeImageVersion && p.nodeImageVersion !== imageMajority.get(imageKey(p)));
  }).length;
  body.append(h("p", { class: "sub", id: "majority" },
    "Fleet majority: Kubernetes ", h("strong", {}, k8s || "unknown"),
    imageMajority.size ? [", node images ", [...imageMajority.values()].join(", ")] : "",
    drifting ? h("span", { class: "drift" }, ` · ${drifting} member${drifting === 1 ? " differs" : "s differ"}`) : " · no drift"));

  const groups = new Map();
  for (const m of members) {
    const g = m.properties.group || "";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(m);
  }
  const names = [...groups.keys()].sort((a, b) => (a === "") - (b === "") || a.localeCompare(b));
  const rows = [];
  for (const g of names) {
    const ms = groups.get(g).sort((a, b) => a.name.localeCompare(b.name));
    rows.push(h("tr", { class: "group-head" }, h("td", { colspan: 5 }, g ? "Update group " + g : "In no update group", h("span", { class: "meta" }, ` · ${ms.length} member${ms.length === 1 ? "" : "s"}`))));
    for (const m of ms) {
      const c = m.properties.cluster || {};
      const k8sDrift = c.kubernetesVersion && c.kubernetesVersion !== k8s;
      const pools = poolsOf(m);
      const poolCell = pools.length ? pools.map((p) => {
        const drift = p.nodeImageVersion && p.nodeImageVersion !== imageMajority.get(imageKey(p));
        return h("div", { class: drift ? "drift" : "", title: drift ? "the fleet's majority is " + imageMajority.get(imageKey(p)) : "" },
          p.name ? h("span", { class: "meta" }, p.name + ": ") : "", h("span", { class: "mono" }, p.nodeImageVersion || "?"));
      }) : h("span", { class: "meta" }, c.error || "not read yet");
      const poolDrift = pools.some((p) => p.nodeImageVersion && p.nodeImageVersion !== imageMajority.get(imageKey(p)));
      rows.push(h("tr", { "data-member": m.name, "data-drift": (k8sDrift || poolDrift) ? "true" : "false" },
        h("td", { "data-label": "Member" }, h("strong", {}, m.name), h("div", { class: "meta mono" }, segmentAfter(m.properties.clusterResourceId, "managedClusters"))),
        h("td", { "data-label": "Region" }, c.region || ""),
        h("td", { "data-label": "Kubernetes", class: k8sDrift ? "drift" : "", title: k8sDrift ? "the fleet's majority is " + k8s : "" }, c.kubernetesVersion || ""),
        h("td", { "data-label": "Node images", class: poolDrift ? "drift" : "" }, poolCell),
        h("td", { "data-label": "Cluster" }, c.provisioningState || "")));
    }
  }
  body.append(h("table", { class: "stack", id: "members" },
    h("thead", {}, h("tr", {}, h("th", {}, "Member"), h("th", {}, "Region"), h("th", {}, "Kubernetes"), h("th", {}, "Node images per pool"), h("th", {}, "Cluster"))),
    h("tbody", {}, rows)));
}

function runCounts(run) {
  const c = { total: 0, done: 0 };
  const st = run.properties.status;
  if (!st) return c;
  for (const s of st.stages || []) for (const g of s.groups || []) for (const m of g.members || []) {
    c.total++;
    if (m.status.state === "Completed" || m.status.state === "Skipped") c.done++;
  }
  return c;
}

async function renderRuns(fleetId, body) {
  // The list is read again whenever one of the fleet's runs changes.
  const ctl = new AbortController();
  leave = () => { ctl.abort(); setLive(null); };
  let reading = false, again = false;
  const refresh = async () => {
    if (reading) { again = true; return; }
    reading = true;
    try {
      do {
        again = false;
        body.replaceChildren(runsTable(fleetId, await list(fleetId + "/updateRuns")));
      } while (again && !ctl.signal.aborted);
    } catch (err) { failed(err); } finally { reading = false; }
  };
  await refresh();
  follow("fleet=" + encodeURIComponent(fleetId), ctl, (event) => { if (event === "changed") refresh(); }, (msg) => flash("error", msg));
}

function runsTable(fleetId, runs) {
  if (runs.length === 0) {
    return h("div", { class: "card empty" }, "No update runs yet. Create one with: caravan updaterun create");
  }
  const started = (r) => (r.properties.status && r.properties.status.status.startTime) || "";
  runs.sort((a, b) => started(b).localeCompare(started(a)) || a.name.localeCompare(b.name));
  const rows = runs.map((r) => {
    const st = (r.properties.status && r.properties.status.status) || { state: "NotStarted" };
    const c = runCounts(r);
    const u = r.properties.managedClusterUpdate.upgrade;
    let dur = "";
    if (st.startTime) dur = fmtDuration((st.completedTime ? new Date(st.completedTime) : new Date()) - new Date(st.startTime));
    return h("tr", { "data-run": r.name, "data-state": st.state },
      h("td", { "data-label": "Run" }, h("a", { href: runHref(r.id) }, r.name)),
      h("td", { "data-label": "State" }, stateBadge(st.state)),
      h("td", { "data-label": "Upgrade" }, u.type + (u.kubernetesVersion ? " to " + u.kubernetesVersion : "")),
      h("td", { "data-label": "Progress" }, progressBar(c.done, c.total), `${c.done}/${c.total}`),
      h("td", { "data-label": "Started" }, fmtWhen(st.startTime)),
      h("td", { "data-label": "Duration" }, dur));
  });
  return h("table", { class: "stack", id: "runs" },
    h("thead", {}, h("tr", {}, h("th", {}, "Run"), h("th", {}, "State"), h("th", {}, "Upgrade"), h("th", {}, "Progress"), h("th", {}, "Started"), h("th", {}, "Duration"))),
    h("tbody", {}, rows));
}

// ---- a run, live -------------------------------------------------------

// readStream reads server-sent events from a fetch response and calls
// onEvent(name, data) for each.
async function readStream(res, onEvent, signal) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let name = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith(":")) continue;
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, data.join("\n"));
    }
  }
}

function setLive(state) {
  const el = $("#live");
  el.hidden = !state;
  el.className = "live " + (state === "on" ? "on" : "off");
  el.textContent = state === "on" ? "live" : "reconnecting";
}

async function renderRun(id) {
  const fleetId = fleetIdOf(id);
  const name = segmentAfter(id, "updateRuns");
  crumbs({ text: "Fleets", href: "#/" }, { text: segmentAfter(fleetId, "fleets"), href: fleetHref(fleetId, "runs") }, { text: name });
  const main = $("#main");
  main.replaceChildren(h("div", { class: "empty" }, "Loading update run " + name + "…"));

  const ctl = new AbortController();
  let view = null, receivedAt = 0, ticker = 0;
  leave = () => { ctl.abort(); clearInterval(ticker); setLive(null); };

  const act = async (what, path, body, button) => {
    if (button) button.disabled = true;
    try {
      await call("POST", id + "/" + path, body);
      flash("info", what + " requested for update run " + name + ".");
    } catch (err) { failed(err); } finally { if (button) button.disabled = false; }
  };
  // approve completes an approval gate through its Gate resource.
  const approve = (g, label) => async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      await call("PATCH", g.gateId, { properties: { state: "Completed" } });
      flash("info", "Approved " + label + " of update run " + name + ".");
    } catch (err) { failed(err); } finally { button.disabled = false; }
  };
  // gateRows shows a stage's or group's gates of one timing; place is
  // the stage, or stage/group, and what names it for people.
  const gateRows = (gates, timing, place, what) => (gates || []).map((g, i) => {
    const label = (g.name ? "gate " + g.name : "the " + timing.toLowerCase() + " gate") + " " + timing.toLowerCase() + " " + what;
    let note = "";
    if (g.state === "Pending") note = g.scheduledTime ? "opens at " + fmtWhen(g.scheduledTime) : "waiting for approval";
    else if (g.state === "NotStarted") note = g.scheduledTime ? "opens at " + fmtWhen(g.scheduledTime) : "";
    const approvable = g.state === "Pending" && !g.scheduledTime && g.gateId;
    return h("div", { class: "gate", "data-gate": place + "/" + timing.toLowerCase() + "Gates/" + i, "data-state": g.state, "data-gate-id": g.gateId || null },
      h("span", {}, (timing === "Before" ? "Before " : "After ") + what + ": ", h("strong", {}, g.name || "gate " + (i + 1))),
      stateBadge(g.state),
      g.startTime ? h("span", { class: "meta" }, "reached " + fmtClock(g.startTime)) : "",
      note ? h("span", { class: "meta note" }, note) : "",
      approvable ? h("button", { class: "small primary approve", type: "button", onclick: approve(g, label) }, "Approve") : "");
  });
  const pendingGates = (v) => {
    const out = [];
    for (const s of v.stages) {
      const of = (gates, timing, what) => (gates || []).forEach((g) => { if (g.state === "Pending") out.push((g.name || "a gate") + " " + timing.toLowerCase() + " " + what + (g.scheduledTime ? " (opens at " + fmtWhen(g.scheduledTime) + ")" : " (waiting for approval)")); });
      of(s.beforeGates, "Before", "stage " + s.name);
      for (const g of s.groups) { of(g.beforeGates, "Before", "group " + g.name); of(g.afterGates, "After", "group " + g.name); }
      of(s.afterGates, "After", "stage " + s.name);
    }
    return out;
  };
  const skip = (type, target) => (e) => act("Skipping " + type.replace("AfterStageWait", "the after-stage wait of") + " " + target, "skip", { targets: [{ type, name: target }] }, e.currentTarget);

  // elapsed shows a node's time, growing while it runs.
  const elapsed = (t) => {
    if (!t.timed) return "";
    let ms = t.elapsed / 1e6;
    if (t.ticking) ms += Date.now() - receivedAt;
    return fmtDuration(ms);
  };
  const dur = (t) => h("span", { class: "dur", "data-base": t.ticking ? t.elapsed / 1e6 : null }, elapsed(t));
  const timeSpan = (t) => h("span", { class: "meta" }, t.startTime ? fmtClock(t.startTime) : "", t.timed ? " · " : "", dur(t));

  const draw = () => {
    const v = view;
    const counts = v.counts;
    const head = h("section", { class: "card run-head", id: "run", "data-state": v.state },
      h("div", {},
        h("h1", {}, "Update run " + v.name + " ", stateBadge(v.state)),
        h("dl", { class: "facts" },
          h("dt", {}, "Upgrade"), h("dd", {}, v.upgrade),
          h("dt", {}, "Strategy"), h("dd", {}, v.strategy),
          h("dt", {}, "Started"), h("dd", {}, v.startTime ? fmtWhen(v.startTime) + (v.endTime ? ", ended " + fmtWhen(v.endTime) : "") : "not yet"),
          h("dt", {}, "Duration"), h("dd", {}, dur(v)),
          h("dt", {}, "Node images"), h("dd", { class: "mono" }, v.nodeImages && v.nodeImages.length ? v.nodeImages.map((n) => h("div", {}, n)) : "not selected yet"),
          h("dt", {}, "Progress"), h("dd", { id: "progress" }, progressBar(counts.completed + counts.skipped, counts.total, true),
            `${counts.completed + counts.skipped} of ${counts.total} members done`,
            counts.running ? `, ${counts.running} upgrading` : "", counts.pending ? `, ${counts.pending} pending` : "", counts.failed ? `, ${counts.failed} failed` : ""),
          pendingGates(v).length ? [h("dt", {}, "Waiting on"), h("dd", { id: "waiting" }, pendingGates(v).map((t) => h("div", {}, t)))] : [],
          v.error ? [h("dt", {}, "Error"), h("dd", { class: "error-text", id: "run-error" }, v.error)] : [])),
      h("div", { class: "actions" },
        h("button", { class: "primary", id: "start", type: "button", onclick: (e) => act("Start", "start", undefined, e.currentTarget) }, "Start"),
        h("button", { class: "danger", id: "stop", type: "button", onclick: (e) => act("Stop", "stop", undefined, e.currentTarget) }, "Stop")));

    const stages = v.stages.map((s) => h("section", { class: "card stage", "data-stage": s.name, "data-state": s.state },
      h("div", { class: "head" },
        h("h3", {}, "Stage " + s.name), stateBadge(s.state), progressBar(s.done, s.total), h("span", { class: "meta" }, `${s.done}/${s.total}`), timeSpan(s),
        h("button", { class: "small", type: "button", onclick: skip("Stage", s.name) }, "Skip stage")),
      s.message ? h("div", { class: "error-text" }, s.message) : "",
      gateRows(s.beforeGates, "Before", s.name, "stage " + s.name),
      h("div", { class: "groups" }, s.groups.map((g) => h("div", { class: "group", "data-group": g.name, "data-state": g.state },
        h("div", { class: "head" }, h("strong", {}, g.name), stateBadge(g.state), h("span", { class: "meta" }, `${g.done}/${g.total}`), timeSpan(g),
          h("button", { class: "small", type: "button", onclick: skip("Group", g.name) }, "Skip")),
        g.message ? h("div", { class: "error-text" }, g.message) : "",
        gateRows(g.beforeGates, "Before", s.name + "/" + g.name, "group " + g.name),
        h("ul", { class: "members" }, g.members.map((m) => h("li", { class: "member", "data-member": m.name, "data-state": m.state },
          h("span", { class: "name" }, m.name),
          h("span", { class: "right" }, stateBadge(m.state), " ",
            m.state === "Completed" || m.state === "Skipped" ? "" : h("button", { class: "small", type: "button", onclick: skip("Member", m.name) }, "Skip")),
          h("span", { class: "msg" + (m.failed ? " failed" : "") }, timeSpan(m), m.message ? " · " + m.message : "")))),
        gateRows(g.afterGates, "After", s.name + "/" + g.name, "group " + g.name)))),
      gateRows(s.afterGates, "After", s.name, "stage " + s.name),
      s.wait ? h("div", { class: "wait", "data-wait": s.name, "data-state": s.wait.state },
        h("span", {}, "After-stage wait " + fmtDuration(s.wait.seconds * 1000).replace(/\.0s$/, "s")), stateBadge(s.wait.state), timeSpan(s.wait),
        s.wait.message ? h("span", { class: "meta" }, s.wait.message) : "",
        s.wait.state === "Running" || s.wait.state === "NotStarted" ? h("button", { class: "small", type: "button", onclick: skip("AfterStageWait", s.name) }, "Skip wait") : "") : ""));
    main.replaceChildren(head, stages.length ? h("div", { id: "tree" }, stages) : h("div", { class: "card empty" }, "This run has no members."));
  };

  // tick keeps running times growing between events.
  ticker = setInterval(() => {
    const since = Date.now() - receivedAt;
    document.querySelectorAll(".dur[data-base]").forEach((el) => { el.textContent = fmtDuration(Number(el.dataset.base) + since); });
  }, 1000);

  follow("run=" + encodeURIComponent(id), ctl, (event, data) => {
    if (event === "run") {
      view = JSON.parse(data);
      receivedAt = Date.now();
      draw();
    } else if (event === "gone") {
      flash("error", JSON.parse(data).message);
      ctl.abort();
    }
  }, (msg) => {
    main.replaceChildren(h("div", { class: "card empty" }, "Cannot show update run " + name + "."));
    flash("error", msg);
  });
}

// follow reads the live stream of a run or fleet (query "run=…" or
// "fleet=…") until ctl aborts, reconnecting with a growing delay when the
// connection drops. onEvent gets each event; onRefused the message of a
// refusal, after which it stops.
async function follow(query, ctl, onEvent, onRefused) {
  let delay = 500;
  while (!ctl.signal.aborted) {
    try {
      const res = await fetch("/ui/stream?" + query, {
        headers: { Authorization: "Bearer " + session.token, Accept: "text/event-stream" },
        signal: ctl.signal, cache: "no-store",
      });
      if (!res.ok) {
        let msg = res.statusText;
        try { const e = (await res.json()).error; msg = `${res.status} ${e.code}: ${e.message}`; } catch (_) { /* not JSON */ }
        setLive(null);
        if (res.status === 401) { session.clear(); renderSignIn(msg); return; }
        onRefused(msg);
        return;
      }
      setLive("on");
      delay = 500;
      await readStream(res, onEvent, ctl.signal);
    } catch (err) {
      if (ctl.signal.aborted) return;
    }
    if (ctl.signal.aborted) return;
    setLive("off");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

// ---- start -------------------------------------------------------------

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", () => {
  $("#signout").addEventListener("click", () => { session.clear(); leave(); leave = () => {}; location.hash = "#/"; renderSignIn(); });
  route();
});
