"use strict";
// The local console: each view reads the console's JSON API (/api/...) and draws itself
// with DOM calls (no HTML from data). The hash names the view and what is picked in it:
// #tables/<name>, #queues/<name>, #functions/<name>, #machines/<name>.

const $ = id => document.getElementById(id);
const state = { view: "systems", pick: null, next: null, timer: null };

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
      dl.append(...row("routes", s.api.routes.map(r => el("code", { textContent: r }))));
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
async function showQueues(name) {
  const { queues } = await api("GET", "queues");
  const byName = Object.fromEntries(queues.map(q => [q.name, q]));
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
  $("queue-detail").hidden = !name;
  if (!name) return;
  const queue = byName[name];
  $("queue-name").textContent = queue.source ? `${name} (dead-letter queue of ${queue.source})` : name;
  $("redrive").hidden = !queue.source;
  $("redrive").onclick = () => redrive(name).catch(showError);
  await showMessages(name);
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
  const { alarms, inbox } = await api("GET", "alarms");
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
  state.timer = setInterval(() => functionLog(name).catch(showError), 2000);
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
// The machine's states drawn from its definition (each with where it can go); an
// execution's path marks the states it entered, in order, and the one it failed in.
async function showMachines(name) {
  const names = (await declared()).flatMap(s => s.state_machines);
  picker($("machine-list"), names, name, "machines");
  if (!name) return;
  $("machine-name").textContent = name;
  $("start-form").hidden = false;
  $("start-form").onsubmit = event => { event.preventDefault(); startExecution(name).catch(showError); };
  const { states, executions } = await api("GET", `state-machines/${name}/executions`);
  drawGraph(states);
  $("history").replaceChildren();
  $("executions").replaceChildren(...executions.map(e => el("li", { dataset: { status: e.status } },
    el("button", { className: "execution", textContent: `${e.name} ${e.status} ${e.started}`,
      onclick: () => showHistory(name, e.arn).catch(showError) }))));
  if (!executions.length) $("executions").append(el("li", { className: "empty", textContent: "no executions yet" }));
}

async function startExecution(name) {
  let input;
  try { input = JSON.parse($("execution-input").value); } catch (err) { throw new Error(`the input is not JSON: ${err.message}`); }
  const { arn } = await api("POST", `state-machines/${name}/executions`, input);
  // Followed until it ends: the list and the path are drawn again each second.
  for (;;) {
    await showMachines(name);
    await showHistory(name, arn);
    const { executions } = await api("GET", `state-machines/${name}/executions`);
    const current = executions.find(e => e.arn === arn);
    if (!current || current.status !== "RUNNING" || location.hash !== `#machines/${name}`) return;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

function drawGraph(states) {
  $("graph").replaceChildren(...states.map(s => el("li", { className: "state", dataset: { state: s.name } },
    el("strong", { textContent: s.name }), " ", el("small", { textContent: s.type }),
    el("div", { className: "goes", textContent: s.next.length ? `→ ${s.next.join(", ")}` : (s.end ? "end" : "") }),
    el("span", { className: "step" }))));
}

async function showHistory(name, arn) {
  const { events } = await api("GET", `state-machines/${name}/history?execution=${encodeURIComponent(arn)}`);
  const path = [];
  let failedIn = null;
  for (const e of events) {
    if (e.type.endsWith("StateEntered")) path.push(e.state);
    if (e.error && path.length) failedIn = path[path.length - 1];
  }
  for (const node of $("graph").children) {
    const steps = path.flatMap((state, i) => state === node.dataset.state ? [i + 1] : []);
    node.classList.toggle("visited", steps.length > 0);
    node.classList.toggle("failed", node.dataset.state === failedIn);
    node.querySelector(".step").textContent = steps.length ? `step ${steps.join(", ")}` : "";
  }
  $("history").replaceChildren(...events.map(e => el("li", { className: e.error ? "event error" : "event", textContent:
    `${e.time} ${e.type}${e.state ? ` ${e.state}` : ""}${e.error ? `: ${e.error} ${e.cause || ""}` : ""}` })));
}

// --- Navigation ------------------------------------------------------------------------
const VIEWS = { systems: showSystems, tables: showTables, queues: showQueues, alarms: showAlarms,
  schedules: showSchedules, functions: showFunctions, faults: showFaults, machines: showMachines };

function route() {
  const [view, ...rest] = (location.hash.slice(1) || "systems").split("/");
  const chosen = VIEWS[view] ? view : "systems";
  clearInterval(state.timer);
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${chosen}`;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === chosen);
  document.body.dataset.view = chosen;
  VIEWS[chosen](rest.join("/") ? decodeURIComponent(rest.join("/")) : null).catch(showError);
}

window.addEventListener("hashchange", route);
route();
