// The phone's doors: the doors the person may open this shift, their unlock tokens fetched
// in advance (so a door opens with no network), and "Unlock" handing the next token to the
// lock. What the lock answers (its event: opened, or refused and why) is kept on the phone
// and sent to Trygg when there is network; the lock's own id for the event makes a copy
// sent twice, or sent by the lock itself too, one.
//
// The link to the lock: a native bridge, when the page runs inside one, offers
// `window.tryggDoorLink(lockId, token)` answering `{opened, refusal, event}` (the browser
// tests plug the lock simulator in there); in the demo, the demo server's simulated doors
// stand in for it. docs/locks.md says why.
import { DoorStore } from "./doorstore.js";

const root = document.getElementById("door-app");
const words = JSON.parse(document.getElementById("door-strings").textContent);
const user = Number(root.dataset.user);
const store = new DoorStore(user);
const REFRESH_MS = 10 * 60 * 1000;
const FIRST_PAUSE_MS = 5000;
const LONGEST_PAUSE_MS = 5 * 60 * 1000;
// Refusals after which this door's other tokens are no use either.
const DOOR_DEAD = new Set(["revoked", "expired", "unknown_key_version", "wrong_lock", "window_too_long"]);

const state = {
  doors: null, fetched: 0, reason: "", signedOut: false, sending: false, trouble: false,
  events: [], pause: FIRST_PAUSE_MS, timer: null, busy: new Set(),
};

const $ = (id) => document.getElementById(id);
function t(key, values = {}) {
  const count = values.count;
  const text = (count === 1 && words[`${key}_one`]) || words[key] || key;
  return text.replace(/\{(\w+)\}/g, (_m, name) => (name in values ? String(values[name]) : ""));
}
function show(element, visible) { element.hidden = !visible; }
function go(view) {
  for (const name of ["starting", "signed-out", "doors"]) show($(`view-${name}`), name === view);
}
function clock(value) {
  const lang = document.documentElement.lang || "sv";
  return new Date(value).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

// The bar: network and what waits --------------------------------------------------------

function renderBar() {
  const net = $("net");
  let tone = "online";
  if (!navigator.onLine) tone = "offline";
  else if (state.sending) tone = "sending";
  else if (state.trouble) tone = "trouble";
  net.dataset.state = tone;
  net.textContent = tone === "offline" ? t("offline")
    : tone === "sending" ? t("syncing")
    : tone === "trouble" ? t("server_trouble") : t("online");
  const waiting = state.events.filter((e) => e.status === "waiting").length;
  const refused = state.events.filter((e) => e.status === "refused");
  const queue = $("queue-state");
  queue.dataset.state = refused.length ? "refused" : waiting ? "waiting" : "empty";
  queue.textContent = refused.length ? t("refused_count", { count: refused.length })
    : waiting ? t("waiting", { count: waiting }) : t("all_sent");
  $("refused-list").replaceChildren(...refused.map((row) => {
    const li = document.createElement("li");
    li.textContent = `${clock(row.event.at)}: ${row.reason || t("refused_reason_unknown")}`;
    return li;
  }));
}

// The doors -----------------------------------------------------------------------------

function usableDoors() {
  if (!state.doors) return [];
  const now = Date.now();
  return state.doors.doors.filter((door) => new Date(door.not_after).getTime() > now);
}

function resultLine(door) {
  const last = door.last;
  if (!last) return null;
  const p = document.createElement("p");
  p.className = "door-result";
  p.setAttribute("role", "status");
  if (last.state === "busy") {
    p.dataset.tone = "busy";
    p.textContent = t("unlocking");
  } else if (last.opened) {
    p.dataset.tone = "ok";
    p.textContent = t("opened", { time: clock(last.at) });
  } else {
    p.dataset.tone = "bad";
    const reason = last.refusal ? (words[`refusal_${last.refusal}`] || last.refusal) : "";
    p.textContent = last.message || t("refused", { reason });
    if (last.refusal === "revoked") p.textContent += ` ${t("revoked_help")}`;
    // The lock failed: the fault report says what to do now (the backup key first).
    const faultUrl = $("door-app").dataset.faultUrl;
    const lockTrouble = last.refusal
      ? !["revoked", "replayed"].includes(last.refusal)
      : last.message !== t("no_tokens_left");
    if (faultUrl && lockTrouble) {
      const link = document.createElement("a");
      link.className = "door-fault";
      const client = door.clients.length ? `?client=${encodeURIComponent(door.clients[0].id)}` : "";
      link.href = `${faultUrl}${client}`;
      link.textContent = t("report_fault");
      p.append(" ", link);
    }
  }
  return p;
}

function renderDoors() {
  const list = $("door-list");
  const doors = usableDoors();
  const reason = $("doors-reason");
  reason.textContent = state.reason;
  show(reason, Boolean(state.reason));
  if (!state.doors) {
    $("doors-state").textContent = t("not_fetched");
  } else if (!doors.length && state.doors.doors.length) {
    $("doors-state").textContent = t("keys_expired");
  } else if (!doors.length) {
    $("doors-state").textContent = state.reason ? "" : t("no_doors");
  } else {
    $("doors-state").textContent = t("fetched", { time: clock(state.fetched) });
  }
  list.replaceChildren(...doors.map((door) => {
    const li = document.createElement("li");
    li.id = `door-${door.lock_id}`;
    const address = document.createElement("p");
    address.className = "door-address";
    address.textContent = door.address || door.serial_number;
    const clients = document.createElement("p");
    clients.className = "door-clients";
    clients.textContent = door.clients.map((c) => c.name).join(", ");
    const meta = document.createElement("p");
    meta.className = "door-meta";
    const left = door.tokens.length;
    meta.textContent = left
      ? `${t("tokens_left", { count: left })} · ${t("valid_until", { time: clock(door.not_after) })}`
      : t("no_tokens_left");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "unlock-button";
    button.textContent = t("unlock");
    button.setAttribute("aria-label", `${t("unlock")}: ${address.textContent}`);
    const dead = door.last && !door.last.opened && DOOR_DEAD.has(door.last.refusal);
    button.disabled = !left || state.busy.has(door.lock_id) || dead;
    button.addEventListener("click", () => unlock(door.lock_id));
    li.append(address, clients, meta, button);
    const result = resultLine(door);
    if (result) li.append(result);
    return li;
  }));
}

async function loadStored() {
  const row = await store.doors();
  state.doors = row ? row.data : null;
  state.fetched = row ? row.fetched : 0;
}

async function fetchDoors() {
  let response;
  try {
    response = await fetch(root.dataset.tokensUrl, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
  } catch (error) {
    renderBar();
    return;
  }
  if (response.status === 401) { await signOut(); return; }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (response.status === 403) {
    // No keys, or not at work now: no door opens, and none is kept.
    state.reason = (data && data.detail) || "";
    await store.forgetDoors();
    state.doors = null;
  } else if (response.ok && data && Array.isArray(data.doors)) {
    state.reason = "";
    // What a lock last answered stays with its door while the key is the same one.
    const before = new Map(((state.doors && state.doors.doors) || []).map((d) => [d.lock_id, d]));
    for (const door of data.doors) {
      const old = before.get(door.lock_id);
      if (old && old.key_id === door.key_id && old.last) door.last = old.last;
    }
    const row = await store.saveDoors(data);
    state.doors = data;
    state.fetched = row.fetched;
  } else {
    return;
  }
  root.dataset.doors = "fresh";
  renderDoors();
}

// At the door ---------------------------------------------------------------------------

async function present(lockId, token) {
  if (typeof window.tryggDoorLink === "function") {
    return window.tryggDoorLink(lockId, token);
  }
  if (root.dataset.demoDoorUrl) {
    const response = await fetch(root.dataset.demoDoorUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ lock_id: lockId, token }),
    });
    if (!response.ok) throw new Error("no-answer");
    return response.json();
  }
  const error = new Error("no-link");
  error.noLink = true;
  throw error;
}

async function unlock(lockId) {
  if (state.busy.has(lockId)) return;
  state.busy.add(lockId);
  const door = usableDoors().find((d) => d.lock_id === lockId);
  if (door) door.last = { state: "busy" };
  renderDoors();
  let last;
  try {
    const token = await store.takeToken(lockId);
    if (!token) {
      last = { opened: false, message: t("no_tokens_left"), at: Date.now() };
    } else {
      let answer;
      try {
        answer = await present(lockId, token);
      } catch (error) {
        answer = null;
        last = { opened: false, message: error.noLink ? t("no_link") : t("no_answer"), at: Date.now() };
      }
      if (answer) {
        if (answer.event && answer.event.id) await store.addEvent(lockId, answer.event);
        last = {
          opened: Boolean(answer.opened), refusal: answer.refusal || "",
          at: (answer.event && answer.event.at) || Date.now(),
        };
      }
    }
    await store.noteAnswer(lockId, last);
  } finally {
    state.busy.delete(lockId);
    await loadStored();
    state.events = await store.events();
    renderDoors();
    renderBar();
    if (last && last.opened === false && last.refusal === "replayed") {
      // The token had been used (the phone lost track of it): the next one will do.
      unlock(lockId);
    }
    send();
  }
}

// Sending the locks' answers -------------------------------------------------------------

function retryLater() {
  window.clearTimeout(state.timer);
  state.timer = window.setTimeout(send, state.pause);
  state.pause = Math.min(state.pause * 2, LONGEST_PAUSE_MS);
}

async function post(rows) {
  return fetch(root.dataset.eventsUrl, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({ events: rows.map((row) => ({ lock_id: row.lock_id, ...row.event })) }),
  });
}

async function send() {
  if (state.sending || state.signedOut) return;
  const waiting = (await store.events()).filter((row) => row.status === "waiting");
  if (!waiting.length) { state.trouble = false; renderBar(); return; }
  state.sending = true;
  renderBar();
  try {
    // One at a time after a refused batch: one bad event must not hold back the others.
    const batches = [waiting.slice(0, 200)];
    while (batches.length) {
      const batch = batches.shift();
      let response;
      try {
        response = await post(batch);
      } catch (error) {
        retryLater();
        return;
      }
      if (response.status === 401) { await signOut(); return; }
      if (response.status === 422) {
        if (batch.length > 1) { batches.push(...batch.map((row) => [row])); continue; }
        let detail = "";
        try { detail = (await response.json()).detail; } catch (error) { detail = ""; }
        await store.refuseEvent(batch[0].key, typeof detail === "string" ? detail : "");
        continue;
      }
      if (!response.ok) { state.trouble = true; retryLater(); return; }
      const answer = await response.json();
      const acknowledged = new Set(answer.ids || []);
      await store.removeEvents(batch.filter((row) => acknowledged.has(row.event.id)).map((row) => row.key));
    }
    state.trouble = false;
    state.pause = FIRST_PAUSE_MS;
  } finally {
    state.sending = false;
    state.events = await store.events();
    renderBar();
  }
}

async function signOut() {
  if (state.signedOut) return;
  state.signedOut = true;
  await store.forgetDoors().catch(() => {});
  state.doors = null;
  $("door-list").replaceChildren();
  $("signed-out-text").textContent = t("signed_out");
  root.dataset.state = "signed-out";
  renderBar();
  go("signed-out");
}

async function start() {
  try {
    await store.forgetOthers();
    await loadStored();
    state.events = await store.events();
  } catch (error) {
    $("doors-state").textContent = t("storage_broken");
    go("doors");
    return;
  }
  go("doors");
  renderDoors();
  renderBar();
  root.dataset.state = "ready";
  if (navigator.onLine) {
    await fetchDoors();
    send();
  }
  window.addEventListener("online", () => { renderBar(); fetchDoors(); send(); });
  window.addEventListener("offline", renderBar);
  window.setInterval(() => {
    if (navigator.onLine && !state.signedOut && document.visibilityState === "visible") fetchDoors();
  }, REFRESH_MS);
  window.setInterval(() => { if (navigator.onLine) send(); }, 60 * 1000);
  // A door's window closes while the page is open: the list follows.
  window.setInterval(renderDoors, 60 * 1000);
}

start();
