// vigil's on-call page: polls /board/state and renders the four panels; actions go to
// /board/act with the session's CSRF token. No library: nothing to vendor, nothing to load
// from elsewhere (the content security policy allows this worker only).
"use strict";

const POLL_MS = 2000;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
let pending = null; // the action the dialog is asking a reason for
let shown = ""; // the panels last drawn: unchanged ones are not drawn again (focus stays put)

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// counts per minute over the last hour, with the top of the expected band as a shaded area
function sparkline(values, bandTop, label) {
  const w = 180, h = 40, n = Math.max(values.length, 2);
  const top = Math.max(1, bandTop || 0, ...values);
  const x = (i) => (i * (w - 2)) / (n - 1) + 1;
  const y = (v) => h - 1 - (v * (h - 2)) / top;
  const s = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label });
  if (bandTop) {
    s.append(svg("rect", { x: 0, y: y(bandTop), width: w, height: h - y(bandTop), class: "band" }));
  }
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  s.append(svg("polyline", { points, class: "line" }));
  return s;
}

// a rate with its 95% interval, as a bar from 0 to 1 with a whisker
function rateBar(r, label) {
  const w = 160, h = 14;
  const s = svg("svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": r.rate === null ? `${label}: no judgements` :
      `${label} ${(r.rate * 100).toFixed(0)}% (95% interval ${(r.lo * 100).toFixed(0)} to ${(r.hi * 100).toFixed(0)}%, n=${r.n})` });
  s.append(svg("rect", { x: 0, y: 3, width: w, height: 8, class: "track" }));
  if (r.rate !== null) {
    s.append(svg("rect", { x: 0, y: 3, width: w * r.rate, height: 8, class: "bar" }));
    s.append(svg("line", { x1: w * r.lo, x2: w * r.hi, y1: 7, y2: 7, class: "whisker" }));
  }
  return s;
}

// a table with these column headers; its rows go in the returned body
function table(box, headers) {
  const t = el("table", {});
  t.append(el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))));
  const body = el("tbody", {});
  t.append(body);
  box.append(t);
  return body;
}

function pct(v) { return v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)}%`; }
function wait(seconds) {
  if (!seconds) return "–";
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m` : m < 2880 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${Math.floor(m / 1440)}d`;
}

function button(text, action, label) {
  const b = el("button", { type: "button", class: "act", "aria-label": label }, text);
  b.addEventListener("click", () => ask(action, label));
  return b;
}

function renderIncidents(items) {
  const box = document.getElementById("incidents");
  box.replaceChildren();
  if (!items.length) { box.append(el("p", { class: "empty" }, "Nothing is spiking.")); return; }
  for (const inc of items) {
    const title = `${inc.key.kind} ${inc.key.value}`;
    const card = el("article", { class: `card sev-${inc.severity}`, "data-incident": inc.incident_id, tabindex: "0" });
    card.append(el("h3", {}, el("span", { class: "sev" }, inc.severity), " ", title));
    const others = inc.keys.filter((k) => k.kind !== inc.key.kind || k.value !== inc.key.value);
    if (others.length) card.append(el("p", { class: "keys" }, "with " + others.map((k) => `${k.kind} ${k.value}`).join(", ")));
    const where = [inc.policy_area, inc.region].filter(Boolean).join(" · ");
    card.append(el("p", {}, `${inc.observed} in 5 min vs ${inc.expected} expected`,
      inc.expected_high ? ` (band top ${inc.expected_high})` : "", where ? ` · ${where}` : "",
      ` · since ${inc.since.slice(11, 16)} UTC`, inc.why ? ` · ${inc.why}` : ""));
    card.append(sparkline(inc.recent, inc.expected_high, `${title}: per minute over the last hour`));
    card.append(el("p", { class: "samples" }, "videos: " + inc.samples.join(", ")));
    if (inc.acknowledged) {
      card.append(el("p", { class: "acked" }, `acknowledged by ${inc.acknowledged.by}: ${inc.acknowledged.reason}`));
    }
    if (inc.snoozed) {
      card.append(el("p", { class: "snoozed" }, `snoozed until ${inc.snoozed.until.slice(11, 16)} UTC by ${inc.snoozed.by}`));
    }
    const buttons = el("div", { class: "buttons" });
    if (!inc.acknowledged) {
      buttons.append(button("Acknowledge", { action: "ack", incident_id: inc.incident_id }, `Acknowledge ${title}`));
    }
    buttons.append(button("Snooze", { action: "snooze", kind: inc.key.kind, value: inc.key.value }, `Snooze ${title}`));
    card.append(buttons);
    box.append(card);
  }
}

function renderQueues(queues) {
  const box = document.getElementById("queues");
  box.replaceChildren();
  const body = table(box, ["queue", "waiting", "oldest", "past due", "overflow", "capacity", "latest"]);
  for (const q of queues) {
    const latest = (q.recent || []).slice(0, 3).map((e) => `${e.target} p${e.priority ?? "-"}${e.held ? " held" : ""}`).join(", ");
    body.append(el("tr", { "data-queue": q.queue },
      el("th", { scope: "row" }, q.queue),
      el("td", {}, q.depth ?? "–"),
      el("td", {}, wait(q.oldest_wait_seconds)),
      el("td", { class: q.past_due ? "alarm" : "" }, q.past_due ?? "–"),
      el("td", { class: q.overflow ? "alarm" : "" }, q.overflow ?? "–"),
      el("td", {}, q.capacity_per_hour ? `${q.capacity_per_hour}/h` : "–"),
      el("td", { class: "latest" }, latest)));
  }
}

function renderRules(rules) {
  const box = document.getElementById("rules");
  box.replaceChildren();
  const body = table(box, ["rule", "mode", "last hour", "normal", "last change", ""]);
  for (const r of rules) {
    const change = r.since ? `${r.since.slice(11, 16)} ${r.reason}${r.changed_by ? " by " + r.changed_by : ""}` : "never";
    const act = r.mode === "held"
      ? button("Reset", { action: "reset", rule_id: r.rule_id }, `Reset the breaker of ${r.rule_id}`)
      : button("Trip", { action: "trip", rule_id: r.rule_id }, `Trip the breaker of ${r.rule_id}`);
    body.append(el("tr", { "data-rule": r.rule_id, class: r.mode === "held" ? "held" : "" },
      el("th", { scope: "row" }, r.rule_id),
      el("td", { class: "mode" }, r.mode),
      el("td", {}, r.cap ? `${r.rate_hour} (cap ${r.cap})` : r.rate_hour),
      el("td", {}, r.normal_hour.toFixed(1)),
      el("td", {}, change),
      el("td", {}, act)));
  }
}

function renderQuality(rows) {
  const box = document.getElementById("quality");
  box.replaceChildren();
  if (!rows.length) { box.append(el("p", { class: "empty" }, "No human judgements yet.")); return; }
  const body = table(box, ["rule", "upheld", "", "appeals overturned", ""]);
  for (const q of rows) {
    body.append(el("tr", {},
      el("th", { scope: "row" }, q.rule),
      el("td", {}, `${pct(q.upheld.rate)} (n=${q.upheld.n})`),
      el("td", {}, rateBar(q.upheld, `${q.rule} upheld`)),
      el("td", {}, `${pct(q.overturned.rate)} (n=${q.overturned.n})`),
      el("td", {}, rateBar(q.overturned, `${q.rule} overturned`))));
  }
}

async function refresh() {
  const status = document.getElementById("status");
  if (document.getElementById("act").open) return; // not under someone giving a reason
  try {
    const resp = await fetch("/board/state", { credentials: "same-origin", cache: "no-store" });
    if (resp.status === 401) { window.location.assign("/board"); return; }
    const state = await resp.json();
    const panels = JSON.stringify([state.incidents, state.queues, state.rules, state.quality]);
    if (panels !== shown) {
      shown = panels;
      renderIncidents(state.incidents);
      renderQueues(state.queues);
      renderRules(state.rules);
      renderQuality(state.quality);
    }
    status.textContent = `live · ${state.as_of.slice(11, 19)} UTC`;
  } catch (e) {
    status.textContent = "cannot reach the worker; retrying";
  }
}

function ask(action, label) {
  pending = action;
  const dialog = document.getElementById("act");
  document.getElementById("act-title").textContent = label;
  document.getElementById("act-what").textContent = action.action === "snooze"
    ? "No page for this key until the snooze ends." : "";
  const snoozing = action.action === "snooze";
  document.getElementById("act-for").hidden = !snoozing;
  document.getElementById("act-for-label").hidden = !snoozing;
  document.getElementById("act-reason").value = "";
  document.getElementById("act-error").textContent = "";
  dialog.showModal();
  document.getElementById("act-reason").focus();
}

async function send(event) {
  event.preventDefault();
  const reason = document.getElementById("act-reason").value.trim();
  const error = document.getElementById("act-error");
  if (!reason) { error.textContent = "Say why."; return; }
  const body = { ...pending, reason };
  if (pending.action === "snooze") body.minutes = Number(document.getElementById("act-for").value);
  const resp = await fetch("/board/act", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  const answer = await resp.json();
  if (!resp.ok) { error.textContent = answer.error || "refused"; return; }
  document.getElementById("act").close();
  document.getElementById("status").textContent = answer.message;
  setTimeout(refresh, 500);
}

async function logout() {
  await fetch("/board/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
  window.location.assign("/board");
}

document.getElementById("act-form").addEventListener("submit", send);
document.getElementById("act-cancel").addEventListener("click", () => document.getElementById("act").close());
document.getElementById("logout").addEventListener("click", logout);
refresh();
setInterval(refresh, POLL_MS);
