"use strict";
// The local console: each view reads the console's JSON API (/api/...) and draws itself
// with DOM calls (no HTML from data). The hash names the view and what is picked in it:
// #tables/<name>, #queues/<name>, #functions/<name>, #machines/<name>.

const $ = id => document.getElementById(id);
const state = { execution: null };

// --- Live views ------------------------------------------------------------------------
// A view that changes on its own (queue depths, alarms and the inbox, a log, executions)
// hands its refresh to `follow`; it runs every REFRESH_MS while that view is shown and the
// pause box is not ticked, one at a time, and says when it last ran.
const REFRESH_MS = 2000;
const live = { refresh: null, hash: null, busy: false, runs: 0 };

function follow(refresh) {
  Object.assign(live, { refresh, hash: location.hash });
  $("live").hidden = false;
  updated();
}

function updated() {
  live.runs += 1;
  $("updated").textContent = `updated ${new Date().toTimeString().slice(0, 8)}`;
  $("updated").dataset.runs = live.runs;
}

setInterval(async () => {
  const { refresh, hash } = live;
  if (!refresh || live.busy || $("pause").checked || hash !== location.hash) return;
  live.busy = true;
  try {
    await refresh();
    if (live.refresh === refresh) updated();
  } catch (err) {
    showError(err);
  } finally {
    live.busy = false;
  }
}, REFRESH_MS);

// Redraws only what changed, so an open <details> or a selection survives a refresh.
const drawn = {};
function changed(key, data) {
  const text = JSON.stringify(data);
  if (drawn[key] === text) return false;
  drawn[key] = text;
  return true;
}

function el(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  for (const child of children) node.append(child);
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const answer = await fetch(`/api/${path}`, options);
  const document_ = await answer.json();
  if (!answer.ok) throw new Error(document_.message || answer.statusText);
  $("error").hidden = true;
  return document_;
}

function showError(err) {
  $("error").textContent = err.message;
  $("error").hidden = false;
}

function picker(list, names, chosen, view) {
  list.replaceChildren(...names.map(name => el("li", {},
    el("button", { textContent: name, className: name === chosen ? "active" : "",
      onclick: () => { location.hash = `${view}/${name}`; } }))));
}

// --- Systems ---------------------------------------------------------------------------
function link(view, name) {
  return el("a", { href: `#${view}/${name}`, textContent: name });
}

function row(label, items) {
  const dd = el("dd");
  items.forEach((item, i) => { if (i) dd.append(", "); dd.append(item); });
  if (!items.length) dd.append("none");
  return [el("dt", { textContent: label }), dd];
}

async function showSystems() {
  const { systems } = await api("GET", "overview");
  $("systems").replaceChildren(...systems.map(s => {
    const dl = el("dl");
    if (s.api) {
      dl.append(...row("API", [el("code", { textContent: s.api.url })]));
      dl.append(...row("API key", [el("code", { className: "api-key", textContent: s.api.key })]));
      dl.append(...row("routes", [el("div", { className: "routes" }, ...s.api.routes.map(r => tryIt(s.name, r)))]));
    }
    dl.append(...row("functions", s.functions.map(n => link("functions", n))));
    dl.append(...row("queues", s.queues.map(n => link("queues", n))));
    dl.append(...row("tables", s.tables.map(n => link("tables", n))));
    dl.append(...row("schedules", s.schedules.map(n => link("schedules", n))));
    dl.append(...row("state machines", s.state_machines.map(n => link("machines", n))));
    dl.append(...row("alarms", s.alarms.map(n => link("alarms", n))));
    return el("article", { className: "system", id: `system-${s.name}` },
      el("h2", { textContent: s.name }), dl);
  }));
}

// --- Try it ----------------------------------------------------------------------------
// One form per declared route; the console's server sends it to the app's local API with
// the key the route needs and gives back the status, headers and body.
function tryIt(system, route) {
  const params = Object.fromEntries(route.params.map(p => [p, el("input", { name: p, required: true, placeholder: p })]));
  const query = el("input", { name: "query", placeholder: "a=1&b=2" });
  const body = route.body ? el("textarea", { name: "body", rows: 4, textContent: "{}" }) : null;
  const token = route.authorizer ? el("textarea", { name: "token", rows: 2,
    placeholder: "eyJraWQiOi… (an ID token of the user pool)" }) : null;
  const result = el("div", { className: "response", hidden: true });
  const fields = [
    ...route.params.map(p => el("label", {}, `{${p}} `, params[p])),
    el("label", {}, "query ", query),
  ];
  if (body) fields.push(el("label", { className: "wide" }, "JSON body", body));
  if (token) fields.push(el("label", { className: "wide" },
    `Bearer token: this route is behind the Cognito authorizer ${route.authorizer}; paste an ID token (sent as the Authorization header)`, token));
  const form = el("form", { onsubmit: event => {
    event.preventDefault();
    send(system, route, params, query, body, token, result).catch(err => showResult(result, null, err));
  } }, ...fields, el("button", { type: "submit", className: "send", textContent: "Send" }));
  const needs = [route.api_key ? "API key" : "", route.authorizer ? `Cognito: ${route.authorizer}` : ""].filter(Boolean);
  return el("details", { className: "try", dataset: { route: `${route.method} ${route.path}` } },
    el("summary", {}, el("code", { textContent: `${route.method} ${route.path}` }),
      ...needs.map(n => el("span", { className: "needs", textContent: n }))),
    form, result);
}

async function send(system, route, params, query, body, token, result) {
  const path = route.path.replace(/{([^}]+?)(\+?)}/g, (_, name, greedy) => greedy
    ? params[name].value.split("/").map(encodeURIComponent).join("/")
    : encodeURIComponent(params[name].value));
  const request = { method: route.method, path, query: query.value };
  if (body) {
    try { request.body = JSON.parse(body.value || "null"); } catch (err) { throw new Error(`the body is not JSON: ${err.message}`); }
  }
  if (token && token.value.trim()) request.token = token.value.trim();
  result.hidden = false;
  result.replaceChildren(el("span", { textContent: "sending…" }));
  showResult(result, await api("POST", `systems/${system}/request`, request));
}

function showResult(result, answer, err) {
  result.hidden = false;
  if (err) {
    result.replaceChildren(el("div", { className: "status error", textContent: err.message }));
    return;
  }
  let body = answer.body;
  try { body = JSON.stringify(JSON.parse(body), null, 2); } catch { /* shown as it came */ }
  result.dataset.status = answer.status;
  result.replaceChildren(
    el("div", { className: `status status-${String(answer.status)[0]}xx`, textContent: `${answer.status} ${answer.reason}` }),
    el("small", { textContent: `${answer.route} → ${answer.url}` }),
    el("pre", { className: "headers", textContent: Object.entries(answer.headers).map(([k, v]) => `${k}: ${v}`).join("\n") }),
    el("pre", { className: "body", textContent: body + (answer.cut ? "\n… (cut)" : "") }));
}

// --- Tables ----------------------------------------------------------------------------
// Scanned page by page, or queried by key on the table or one of its indexes; each page
// asks for the next with the token the one before gave.
let overview = null;
async function declared() {
  overview = overview || await api("GET", "overview");
  return overview.systems;
}

async function showTables(name) {
  const names = (await declared()).flatMap(s => s.tables);
  picker($("table-list"), names, name, "tables");
  $("query-form").hidden = !name;
  if (!name) return;
  $("table-name").textContent = name;
  $("item-json").hidden = true;
  const keys = overview.tables[name];
  $("query-index").replaceChildren(...Object.keys(keys).map(index =>
    el("option", { value: index, textContent: index || "table" })));
  const labels = () => {
    const [hash, range] = keys[$("query-index").value];
    $("hash-label").textContent = hash;
    $("range-label").textContent = range || "no sort key";
    for (const id of ["query-op", "query-range"]) $(id).disabled = !range;
  };
  $("query-index").onchange = labels;
  labels();
  $("query-form").onsubmit = event => {
    event.preventDefault();
    const query = new URLSearchParams({ index: $("query-index").value, hash: $("query-hash").value });
    if ($("query-range").value && !$("query-range").disabled) {
      query.set("range_op", $("query-op").value);
      query.set("range", $("query-range").value);
    }
    tablePage(`tables/${name}/query?${query}`, null, 1).catch(showError);
  };
  $("scan").onclick = () => tablePage(`tables/${name}/items?`, null, 1).catch(showError);
  await tablePage(`tables/${name}/items?`, null, 1);
}

async function tablePage(path, token, number) {
  const page = await api("GET", token ? `${path}&next=${encodeURIComponent(token)}` : path);
  const columns = [...new Set(page.items.flatMap(item => Object.keys(item)))].slice(0, 8);
  $("items").tHead.replaceChildren(el("tr", {}, ...columns.map(c => el("th", { textContent: c }))));
  $("items").tBodies[0].replaceChildren(...page.items.map(item => el("tr", {
    className: "item",
    onclick: () => { $("item-json").textContent = JSON.stringify(item, null, 2);
      $("item-json").hidden = false; },
  }, ...columns.map(c => el("td", { className: "cell",
    textContent: c in item ? (typeof item[c] === "object" ? JSON.stringify(item[c]) : String(item[c])) : "" })))));
  $("next-page").hidden = !page.next;
  $("next-page").onclick = () => tablePage(path, page.next, number + 1).catch(showError);
  $("items").dataset.page = number;
  $("items").dataset.path = path;
}

// --- Queues ----------------------------------------------------------------------------
// Depths refresh live; a queue's messages do not (each look is a receive).
async function showQueues(name) {
  const byName = await drawDepths();
  follow(drawDepths);
  $("queue-detail").hidden = !name;
  if (!name) return;
  const queue = byName[name];
  $("queue-name").textContent = queue.source ? `${name} (dead-letter queue of ${queue.source})` : name;
  $("redrive").hidden = !queue.source;
  $("redrive").onclick = () => redrive(name).catch(showError);
  await showMessages(name);
}

async function drawDepths() {
  const { queues } = await api("GET", "queues");
  const byName = Object.fromEntries(queues.map(q => [q.name, q]));
  if (!changed("queues", queues) && $("queues").tBodies[0].rows.length) return byName;
  $("queues").tBodies[0].replaceChildren(...queues.filter(q => !q.source).concat(
    queues.filter(q => q.source && !byName[q.source])).map(q => {
    const dlq = q.dead_letter ? byName[q.dead_letter] : null;
    return el("tr", { dataset: { queue: q.name } },
      el("td", {}, link("queues", q.name)), el("td", { textContent: q.system }),
      el("td", { className: "depth", textContent: q.depth }),
      el("td", { className: "in-flight", textContent: q.in_flight }),
      el("td", {}, dlq ? link("queues", dlq.name) : "none"),
      el("td", { className: "dlq-depth", textContent: dlq ? dlq.depth : "" }),
      el("td", { textContent: q.max_receive_count ? `after ${q.max_receive_count} receives` : "" }));
  }));
  return byName;
}

async function showMessages(name) {
  const { messages } = await api("GET", `queues/${name}/messages`);
  $("messages").replaceChildren(...messages.map(m => el("li", { className: "message", dataset: { id: m.message_id } },
    el("div", {}, el("code", { textContent: m.message_id }), " ",
      el("button", { className: "delete", textContent: "Delete",
        onclick: () => deleteMessage(name, m.message_id).catch(showError) })),
    el("pre", { className: "body", textContent: m.body }),
    el("pre", { className: "attributes", textContent: JSON.stringify(m.attributes, null, 2) }))));
  if (!messages.length) $("messages").append(el("li", { className: "empty", textContent: "no messages" }));
}

async function redrive(name) {
  $("queue-status").textContent = "moving…";
  const { moved } = await api("POST", `queues/${name}/redrive`, {});
  $("queue-status").textContent = `${moved} moved to the source queue`;
  await showQueues(name);
}

async function deleteMessage(name, id) {
  await api("DELETE", `queues/${name}/messages/${id}`);
  $("queue-status").textContent = `${id} deleted`;
  await showQueues(name);
}

// --- Alarms and inbox ------------------------------------------------------------------
async function showAlarms() {
  await drawAlarms();
  follow(drawAlarms);
}

async function drawAlarms() {
  const { alarms, inbox } = await api("GET", "alarms");
  if (!changed("alarms", { alarms, inbox }) && $("alarms").tBodies[0].rows.length) return;
  $("alarms").tBodies[0].replaceChildren(...alarms.map(a => el("tr", { dataset: { alarm: a.name } },
    el("td", { textContent: a.name }),
    el("td", { className: `state state-${a.state}`, textContent: a.state }),
    el("td", { textContent: a.reason }))));
  $("inbox").replaceChildren(...inbox.map(m => el("li", { className: "mail" },
    el("div", { className: "subject", textContent: m.subject }),
    el("small", { textContent: `to ${m.to} at ${m.sent_at}` }),
    el("details", {}, el("summary", { textContent: "body" }), el("pre", { textContent: m.body })))));
  if (!inbox.length) $("inbox").append(el("li", { className: "empty", textContent: "no mail yet" }));
}

// --- Schedules -------------------------------------------------------------------------
async function showSchedules() {
  const { schedules } = await api("GET", "schedules");
  $("schedules").tBodies[0].replaceChildren(...schedules.map(s => el("tr", { dataset: { schedule: s.id } },
    el("td", { textContent: s.id }), el("td", { textContent: s.expression }),
    el("td", { textContent: s.timezone }), el("td", { className: "next", textContent: s.next_fire }),
    el("td", { textContent: s.next_fire_local }),
    el("td", {}, el("code", { textContent: s.target })),
    el("td", {}, el("button", { className: "fire", textContent: "Fire now",
      onclick: () => fire(s).catch(showError) })))));
}

async function fire(schedule) {
  await api("POST", `schedules/${schedule.id}/fire`, {});
  $("schedule-status").textContent = `${schedule.id} fired`;
  const fn = schedule.target.split(":function:")[1];
  if (fn) location.hash = `functions/${fn.split(":")[0]}`;
}

// --- Functions -------------------------------------------------------------------------
async function showFunctions(name) {
  const { functions } = await api("GET", "functions");
  picker($("function-list"), functions.map(f => f.name), name, "functions");
  $("invoke-form").hidden = !name;
  if (!name) return;
  $("function-name").textContent = name;
  $("invoke-result").hidden = true;
  $("invoke-form").onsubmit = event => { event.preventDefault(); invoke(name).catch(showError); };
  await functionLog(name);
  follow(() => functionLog(name));
}

async function functionLog(name) {
  const { lines } = await api("GET", `functions/${name}/log?lines=200`);
  const log = $("function-log");
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = lines.join("\n") || "(no log yet: it has not run)";
  if (atEnd) log.scrollTop = log.scrollHeight;
}

async function invoke(name) {
  let event;
  try { event = JSON.parse($("event").value); } catch (err) { throw new Error(`the event is not JSON: ${err.message}`); }
  $("invoke-result").hidden = false;
  $("invoke-result").textContent = "invoking…";
  const result = await api("POST", `functions/${name}/invoke`, event);
  $("invoke-result").textContent = `${result.function_error ? "failed" : "returned"}: ${result.payload}`;
  await functionLog(name);
}

// --- Faults ----------------------------------------------------------------------------
async function showFaults() {
  const { faults } = await api("GET", "faults");
  $("faults").replaceChildren(...Object.entries(faults).map(([fake, listing]) => {
    const path = el("input", { name: "path_contains", placeholder: "path contains (empty: any)" });
    const status = el("input", { name: "status", type: "number", value: "503", min: 200, max: 599 });
    const times = el("input", { name: "times", type: "number", value: "1", min: 1 });
    const form = el("form", { onsubmit: event => { event.preventDefault();
      api("POST", `faults/${fake}`, { path_contains: path.value, status: Number(status.value),
        times: Number(times.value) }).then(showFaults).catch(showError); } },
      path, " status ", status, " times ", times, " ", el("button", { type: "submit", textContent: "Arm" }), " ",
      el("button", { type: "button", className: "clear", textContent: "Clear all",
        onclick: () => api("DELETE", `faults/${fake}`).then(showFaults).catch(showError) }));
    const armed = listing.faults.map(f => el("li", { textContent:
      `${f.status} on "${f.path_contains}" (${f.times_left ?? `${f.seconds_left}s`} left)` }));
    return el("article", { className: "system fake", dataset: { fake } },
      el("h2", { textContent: fake }), el("ul", { className: "armed" }, ...armed), form);
  }));
}

// --- State machines --------------------------------------------------------------------
// The machine's graph, laid out by the console from its definition, drawn as SVG; the
// picked execution's path over it from its history: the states it entered (numbered in
// order), the edges it took, the one running now, and those that failed (red, the error
// on hover and on click).
async function showMachines(name) {
  const names = (await declared()).flatMap(s => s.state_machines);
  picker($("machine-list"), names, name, "machines");
  if (!name) return;
  $("machine-name").textContent = name;
  $("start-form").hidden = false;
  $("start-form").onsubmit = event => { event.preventDefault(); startExecution(name).catch(showError); };
  state.execution = null;
  delete drawn.executions;
  delete drawn.history;
  $("history").replaceChildren();
  $("state-detail").hidden = true;
  drawGraph(await api("GET", `state-machines/${name}/graph`));
  await followMachine(name);
  follow(() => followMachine(name));
}

async function followMachine(name) {
  const { executions } = await api("GET", `state-machines/${name}/executions`);
  if (changed("executions", [executions, state.execution])) {
    $("executions").replaceChildren(...executions.map(e => el("li", {
      dataset: { status: e.status }, className: e.arn === state.execution ? "chosen" : "" },
    el("button", { className: "execution", textContent: `${e.name} ${e.status} ${e.started}`,
      onclick: () => { state.execution = e.arn; followMachine(name).catch(showError); } }))));
    if (!executions.length) $("executions").append(el("li", { className: "empty", textContent: "no executions yet" }));
  }
  if (state.execution) await showHistory(name, state.execution);
}

async function startExecution(name) {
  let input;
  try { input = JSON.parse($("execution-input").value); } catch (err) { throw new Error(`the input is not JSON: ${err.message}`); }
  const { arn } = await api("POST", `state-machines/${name}/executions`, input);
  state.execution = arn;  // followed by the live refresh until it ends
  await followMachine(name);
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

const BOXES = ["Map", "Parallel", "branch"];
const MARGIN = 8;

function drawGraph(graph) {
  const width = graph.width + 2 * MARGIN, height = graph.height + 2 * MARGIN;
  const root = svg("svg", { width, height, viewBox: `${-MARGIN} ${-MARGIN} ${width} ${height}`,
    role: "img", "aria-label": "the state machine's graph" },
  svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto" }, svg("path", { d: "M0,0 L10,5 L0,10 z" }))));
  const boxes = graph.nodes.filter(n => BOXES.includes(n.type));  // a box before what it holds
  const rest = graph.nodes.filter(n => !BOXES.includes(n.type));
  root.append(...boxes.map(drawNode));
  root.append(...graph.edges.map(e => svg("path", { class: `edge kind-${e.kind}${e.back ? " back" : ""}`,
    "data-from": e.source, "data-to": e.target, "marker-end": "url(#arrow)",
    d: e.points.map(([x, y], i) => `${i ? "L" : "M"}${x},${y}`).join(" ") },
  svg("title", {}, `${e.kind}${e.label ? `: ${e.label}` : ""}`))));
  root.append(...rest.map(drawNode));
  $("graph").replaceChildren(root);
}

function drawNode(n) {
  if (n.type === "start" || n.type === "end") {
    return svg("circle", { class: `terminal ${n.type}`, "data-node": n.id,
      cx: n.x + n.w / 2, cy: n.y + n.h / 2, r: n.w / 2 }, svg("title", {}, n.type));
  }
  const box = BOXES.includes(n.type);
  const group = svg("g", { class: n.state ? `state type-${n.type}${box ? " box" : ""}` : "branch box",
    "data-node": n.id, transform: `translate(${n.x},${n.y})` },
  svg("rect", { width: n.w, height: n.h, rx: box ? 4 : 8 }));
  if (n.state) {
    group.dataset.state = n.state;
    const name = n.state.length > 26 ? `${n.state.slice(0, 25)}…` : n.state;
    group.append(svg("text", { x: 10, y: 17, class: "name" }, name),
      svg("text", { x: box ? n.w - 8 : 10, y: box ? 17 : 33, class: "type",
        "text-anchor": box ? "end" : "start" }, n.label),
      svg("text", { x: n.w - 8, y: box ? n.h - 6 : 33, class: "step", "text-anchor": "end" }),
      svg("title", {}, [n.state, n.label, n.detail].filter(Boolean).join("\n")));
    group.addEventListener("click", () => showState(group));
  }
  return group;
}

// Each state's part in the execution: the steps it was entered at, whether it is running,
// and the error it failed with (cleared by a later success of that state: a retry that
// worked). An error event belongs to the innermost state entered and not yet left.
function trace(events) {
  const steps = {}, failed = {}, left = new Set(), open = [], path = [];
  for (const e of events) {
    if (e.type.endsWith("StateEntered")) {
      path.push(e.state);
      (steps[e.state] = steps[e.state] || []).push(path.length);
      open.push(e.state);
    } else if (e.type.endsWith("StateExited")) {
      open.splice(open.lastIndexOf(e.state), 1);
      left.add(e.state);
    }
    const current = open[open.length - 1] || path[path.length - 1];
    if (e.error && current) failed[current] = e;
    else if (current && /^(Task|LambdaFunction|Activity)Succeeded$/.test(e.type)) delete failed[current];
  }
  const ended = events.some(e => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type));
  return { steps, failed, left, path, running: new Set(ended ? [] : open) };
}

// A Lambda error's cause is its JSON error document: its message says it in a line (the
// whole cause, with the stack trace, is one click away).
function briefly(cause) {
  try { return JSON.parse(cause).errorMessage || cause; } catch { return cause; }
}

async function showHistory(name, arn) {
  const { events } = await api("GET", `state-machines/${name}/history?execution=${encodeURIComponent(arn)}`);
  if (!changed("history", [arn, events])) return;
  const run = trace(events);
  for (const node of $("graph").querySelectorAll(".state")) {
    const stateName = node.dataset.state, fail = run.failed[stateName];
    node.classList.toggle("visited", stateName in run.steps);
    node.classList.toggle("running", run.running.has(stateName));
    node.classList.toggle("failed", Boolean(fail));
    node.classList.toggle("caught", Boolean(fail) && run.left.has(stateName));
    node.querySelector(".step").textContent = run.steps[stateName] ? `#${run.steps[stateName].join(", #")}` : "";
    node.dataset.error = fail ? `${fail.error}${fail.cause ? `: ${briefly(fail.cause)}` : ""}` : "";
    node.dataset.cause = fail ? fail.cause || "" : "";
    node.dataset.steps = (run.steps[stateName] || []).join(",");
    const title = node.querySelector("title");
    title.textContent = title.textContent.split("\nerror: ")[0] + (fail ? `\nerror: ${node.dataset.error}` : "");
  }
  const taken = new Set([`start:|${run.path[0]}`, ...run.path.slice(1).map((s, i) => `${run.path[i]}|${s}`)]);
  for (const edge of $("graph").querySelectorAll(".edge")) {
    edge.classList.toggle("taken", taken.has(`${edge.dataset.from}|${edge.dataset.to}`));
  }
  $("history").replaceChildren(...events.map(e => el("li", { className: e.error ? "event error" : "event", textContent:
    `${e.time} ${e.type}${e.state ? ` ${e.state}` : ""}${e.error ? `: ${e.error} ${briefly(e.cause || "")}` : ""}` })));
  const shown = $("state-detail").dataset.state;
  if (shown) showState($("graph").querySelector(`.state[data-state="${CSS.escape(shown)}"]`));
}

function showState(node) {
  if (!node) return;
  const detail = $("state-detail");
  detail.dataset.state = node.dataset.state;
  detail.hidden = false;
  detail.replaceChildren(el("strong", { textContent: node.dataset.state }), " ",
    el("small", { textContent: node.dataset.steps ? `entered at step ${node.dataset.steps}` : "not entered" }),
    ...(node.dataset.error ? [el("pre", { className: "error", textContent: node.dataset.error })] : []),
    ...(node.dataset.cause ? [el("details", {}, el("summary", { textContent: "cause" }),
      el("pre", { textContent: node.dataset.cause }))] : []));
}

// --- Navigation ------------------------------------------------------------------------
const VIEWS = { systems: showSystems, tables: showTables, queues: showQueues, alarms: showAlarms,
  schedules: showSchedules, functions: showFunctions, faults: showFaults, machines: showMachines };

function route() {
  const [view, ...rest] = (location.hash.slice(1) || "systems").split("/");
  const chosen = VIEWS[view] ? view : "systems";
  Object.assign(live, { refresh: null, hash: null });
  $("live").hidden = true;
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${chosen}`;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === chosen);
  document.body.dataset.view = chosen;
  VIEWS[chosen](rest.join("/") ? decodeURIComponent(rest.join("/")) : null).catch(showError);
}

window.addEventListener("hashchange", route);
route();
