// The visit app on the staff phone: scan on arrival, tick the tasks, scan on departure.
//
// Works without network for a whole shift: the day's clients and every registration are
// kept on the phone (store.js) and sent by themselves when the network returns (sync.js).
// The page itself holds no client data; everything shown comes from the phone's storage
// under the logged-in person's id, after the server has confirmed who that is.
import { parse, parseUid } from "./tagcode.js";
import { Store } from "./store.js";
import { Syncer, csrfToken } from "./sync.js";
import { NfcReader, QrReader, nfcAvailable, qrAvailable } from "./scan.js";
import {
  t, clock, element, show, fillSelect, renderClients, renderDone, renderQueue, renderTasks, ticked,
} from "./views.js";

const root = document.getElementById("visit-app");
const $ = (id) => document.getElementById(id);
const user = Number(root.dataset.user);
const store = new Store(user);
const VIEWS = ["starting", "signed-out", "day", "scan", "visit", "queue", "fix"];
const DAY_REFRESH_MS = 30 * 60 * 1000;

const state = {
  day: null, // GET /api/v1/visits/day: clients, colleagues, tasks
  fetched: null, // when the day was fetched (ms)
  confirmed: false, // the server said the session is this page's person
  current: null, // the visit in progress
  entries: [], // this person's registrations not yet accepted
  done: [], // what was registered today
  alarm: null, // {alarm, client}: a visit after an alarm, waiting for the arrival scan
  view: "starting",
  fixing: null,
  signedOut: false,
  sync: "idle",
  answered: false,
  lastSync: null,
  nfc: nfcAvailable() ? "off" : "unavailable",
};

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function go(view) {
  if (state.view === "scan" && view !== "scan") qr.stop();
  state.view = view;
  root.dataset.view = view;
  for (const name of VIEWS) show($(`view-${name}`), name === view);
  window.scrollTo(0, 0);
}

let toastTimer = null;
function toast(text, alarm = false) {
  const node = $("toast");
  node.textContent = text;
  node.setAttribute("role", alarm ? "alert" : "status");
  node.dataset.tone = alarm ? "bad" : "ok";
  node.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => { node.hidden = true; }, alarm ? 8000 : 5000);
}

function buzz(pattern) {
  if (navigator.vibrate) navigator.vibrate(pattern);
}

function confirmDialog(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function clients() {
  return state.day ? state.day.clients : [];
}

function clientById(id) {
  return clients().find((client) => client.id === id) || null;
}

function clientWithTag(code) {
  return clients().find((client) => client.tags.includes(code)) || null;
}

// The status bar -----------------------------------------------------------------------

function renderBar() {
  const net = $("net");
  let tone = "online";
  let text = t("online");
  if (!navigator.onLine || state.sync === "offline") { tone = "offline"; text = t("offline"); }
  else if (state.sync === "sending") { tone = "sending"; text = t("syncing"); }
  else if (state.sync === "trouble") { tone = "trouble"; text = t("server_trouble"); }
  net.dataset.state = tone;
  net.textContent = text;
  const waiting = state.entries.filter((entry) => entry.status !== "refused").length;
  const refused = state.entries.filter((entry) => entry.status === "refused").length;
  const button = $("queue-button");
  button.dataset.state = refused ? "refused" : waiting ? "waiting" : "empty";
  button.dataset.waiting = String(waiting);
  button.dataset.refused = String(refused);
  const parts = [];
  if (waiting) parts.push(t("waiting", { count: waiting }));
  if (refused) parts.push(t("refused_count", { count: refused }));
  button.textContent = parts.length ? parts.join(" · ") : t("all_sent");
  button.disabled = state.signedOut;
}

async function refreshQueue() {
  state.entries = await store.queued();
  renderBar();
  if (state.view === "queue") await renderQueueView();
}

// The day -------------------------------------------------------------------------------

function renderNfc() {
  const text = {
    reading: t("nfc_ready"),
    off: t("nfc_off"),
    unavailable: qrAvailable() ? t("nfc_none") : t("nfc_none_type"),
    denied: t("nfc_denied"),
    unreadable: t("nfc_unreadable"),
  }[state.nfc];
  for (const id of ["nfc-state", "scan-nfc"]) {
    $(id).textContent = text;
    $(id).dataset.state = state.nfc;
  }
}

async function renderDay() {
  state.done = (await store.doneToday()).filter((row) => row.status !== "discarded");
  const visitedAt = new Map();
  for (const row of state.done) {
    if (!visitedAt.has(row.client_id)) visitedAt.set(row.client_id, row.at);
  }
  const count = renderClients($("client-list"), clients(), visitedAt, $("client-search").value, openNoTag);
  $("client-count").textContent = state.day ? `(${t("client_count", { count })})` : "";
  $("day-state").textContent = state.day ? t("day_from", { time: clock(state.fetched) }) : t("no_day");
  renderDone($("done-list"), state.done);
  show($("done-empty"), !state.done.length);
  const banner = $("alarm-banner");
  if (state.alarm) {
    const client = clientById(state.alarm.client);
    $("alarm-text").textContent = client
      ? t("alarm_waiting", { name: client.name })
      : t("alarm_waiting_unknown");
  }
  show(banner, Boolean(state.alarm));
  renderNfc();
}

async function loadDay() {
  let response;
  try {
    response = await fetch(root.dataset.dayUrl, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
  } catch (error) {
    renderBar();
    return false;
  }
  if (response.status === 401 || response.status === 403) {
    await signOut();
    return false;
  }
  if (!response.ok) return false;
  const data = await response.json();
  if (!data.user || data.user.id !== user) {
    // The phone's copy of the page was made for someone else: the server makes it anew.
    window.location.replace(root.dataset.home);
    return false;
  }
  state.confirmed = true;
  const row = await store.saveDay(data);
  state.day = data;
  state.fetched = row.fetched;
  root.dataset.day = "fresh";
  if (state.view === "day") await renderDay();
  return true;
}

async function signOut() {
  if (state.signedOut) return;
  state.signedOut = true;
  state.confirmed = false;
  syncer.stop();
  await store.forgetDay().catch(() => {});
  state.day = null;
  state.done = [];
  // Nothing about a client stays on the screen either.
  for (const id of ["client-list", "done-list", "refused-list", "waiting-list", "visit-tasks",
    "visit-more-tasks", "fix-tasks", "visit-partner", "fix-partner", "no-tag-client"]) {
    $(id).replaceChildren();
  }
  for (const id of ["visit-name", "visit-address", "visit-since", "scan-for", "fix-name", "alarm-text"]) {
    $(id).textContent = "";
  }
  const demo = $("demo-tag");
  if (demo) demo.replaceChildren();
  const kept = state.entries.length + (state.current ? 1 : 0);
  $("signed-out-text").textContent = t("signed_out");
  $("signed-out-waiting").textContent = t("signed_out_waiting", { count: kept });
  show($("signed-out-waiting"), kept > 0);
  root.dataset.state = "signed-out";
  renderBar();
  go("signed-out");
}

// Scanning ------------------------------------------------------------------------------

// A tag held to the phone a moment too long, or brought back by a shaking hand, is read
// again: the same tag within a few seconds is the same scan, not the departure.
const REREAD_MS = 5000;
let lastRead = { texts: "", at: 0 };

const nfc = new NfcReader(
  ({ texts, uid }) => {
    const key = texts.join("\n");
    const now = Date.now();
    const again = key === lastRead.texts && now - lastRead.at < REREAD_MS;
    lastRead = { texts: key, at: now };
    if (!again) scanned(texts, "tag", uid);
  },
  (nfcState) => { state.nfc = nfcState; renderNfc(); if (nfcState === "unreadable") buzz([60, 60, 60]); },
);
const qr = new QrReader($("qr-video"));

function codeProblem(error) {
  if (!error || error.kind === "length") return t("bad_code_length");
  if (error.kind === "chars") return t("bad_code_char", { chars: error.chars });
  return t("bad_code_check");
}

function report(text) {
  buzz([200, 100, 200]);
  if (state.view === "scan") {
    $("code-error").textContent = text;
    show($("code-error"), true);
  } else {
    toast(text, true);
  }
}

function scanned(texts, by, uid = "") {
  if (state.signedOut || state.view === "fix" || state.view === "starting") return;
  let code = null;
  let problem = null;
  for (const text of texts) {
    try {
      code = parse(text);
      break;
    } catch (error) {
      problem = error;
    }
  }
  if (!code) { report(codeProblem(problem)); return; }
  const scan = { at: new Date().toISOString(), by, tag: code, uid: parseUid(uid) };
  const client = clientWithTag(code);
  const current = state.current;
  if (current) {
    if ((client && client.id === current.client_id) || current.tags.includes(code)) {
      leave(scan);
    } else if (client) {
      report(t("other_client_tag", { name: client.name, current: current.name }));
    } else {
      report(t("unknown_tag", { code }));
    }
    return;
  }
  if (!client) { report(t("unknown_tag", { code })); return; }
  begin(client, scan, "");
}

async function openScan(noTagClient = null) {
  const departure = Boolean(state.current);
  const title = $("scan-title");
  title.textContent = departure ? title.dataset.departure : title.dataset.arrival;
  const alarmClient = state.alarm ? clientById(state.alarm.client) : null;
  $("scan-for").textContent = departure ? state.current.name : alarmClient ? alarmClient.name : "";
  $("code-input").value = "";
  show($("code-error"), false);
  show($("no-tag-error"), false);
  show($("qr-box"), qrAvailable());
  const demo = $("demo-tag");
  if (demo) {
    const tagged = clients().filter((client) => client.tags.length);
    const first = departure ? clientById(state.current.client_id) : null;
    const ordered = first ? [first, ...tagged.filter((client) => client !== first)] : tagged;
    fillSelect(demo, ordered.filter(Boolean).flatMap((client) =>
      client.tags.map((code) => [code, `${client.name} · ${code}`])));
    // No tagged client on the phone: nothing to pretend to scan.
    show($("demo-form"), demo.options.length > 0);
  }
  show($("no-tag-client-field"), !departure);
  const chosen = noTagClient || alarmClient;
  fillSelect($("no-tag-client"), [["", t("choose_client")], ...clients().map((client) => [client.id, `${client.name}, ${client.street}`])],
    chosen ? chosen.id : "");
  for (const radio of document.querySelectorAll("#no-tag-form input[name=reason]")) {
    radio.checked = departure && radio.value === state.current.no_tag_reason;
  }
  $("no-tag").open = Boolean(noTagClient);
  go("scan");
  if (!nfc.reading && nfcAvailable()) await nfc.start();
  renderNfc();
  if (noTagClient) $("no-tag").scrollIntoView({ block: "start" });
}

function openNoTag(client) {
  openScan(client);
}

// The visit -----------------------------------------------------------------------------

async function begin(client, arrival, noTagReason) {
  const alarm = state.alarm && state.alarm.client === client.id ? state.alarm.alarm : null;
  const visit = {
    id: newId(),
    client_id: client.id,
    name: client.name,
    address: `${client.street}, ${client.postal_code} ${client.city}`,
    services: client.services.map((service) => ({ value: service.code, label: service.name })),
    tags: client.tags,
    // Ticked in advance: the planned tasks of the client's granted services, or on a visit
    // after an alarm, the safety alarm (the day's list says which is which).
    tasks: client.services.filter((service) => (alarm ? service.on_alarm : service.planned))
      .map((service) => service.code),
    arrival,
    no_tag_reason: noTagReason,
    partner_id: null,
    alarm_id: alarm,
    note: "",
  };
  if (alarm) {
    state.alarm = null;
    await store.setMeta("alarm", null);
  }
  await store.saveCurrent(visit);
  state.current = visit;
  buzz(120);
  renderVisit();
  go("visit");
}

function renderVisit() {
  const visit = state.current;
  $("visit-name").textContent = visit.name;
  $("visit-address").textContent = visit.address;
  show($("visit-alarm"), Boolean(visit.alarm_id));
  renderSince();
  const granted = visit.services;
  const grantedCodes = new Set(granted.map((task) => task.value));
  const others = (state.day ? state.day.tasks : []).filter((task) => !grantedCodes.has(task.value));
  renderTasks($("visit-tasks"), granted, visit.tasks, "task", saveVisit);
  renderTasks($("visit-more-tasks"), others, visit.tasks, "task", saveVisit);
  $("visit-more").open = others.some((task) => visit.tasks.includes(task.value)) || !granted.length;
  const colleagues = state.day ? state.day.colleagues : [];
  fillSelect($("visit-partner"), [["", t("no_colleague")], ...colleagues.map((person) => [person.id, person.name])],
    visit.partner_id || "");
  $("visit-note").value = visit.note;
  show($("visit-error"), false);
}

function renderSince() {
  const visit = state.current;
  if (!visit) return;
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(visit.arrival.at)) / 60000));
  $("visit-since").textContent = [
    t("arrived", { time: clock(visit.arrival.at) }),
    t(`by_${visit.arrival.by}`),
    t("minutes", { count: minutes }),
  ].join(" · ");
}

function collectVisit() {
  const visit = state.current;
  visit.tasks = [...ticked($("visit-tasks")), ...ticked($("visit-more-tasks"))];
  const partner = Number($("visit-partner").value);
  visit.partner_id = partner > 0 ? partner : null;
  visit.note = $("visit-note").value.trim().slice(0, 500);
  return visit;
}

async function saveVisit() {
  if (!state.current) return;
  show($("visit-error"), false);
  await store.saveCurrent(collectVisit());
}

function visitProblem(text) {
  $("visit-error").textContent = text;
  show($("visit-error"), true);
  go("visit");
  $("visit-error").scrollIntoView({ block: "center" });
  buzz([200, 100, 200]);
}

function scanPayload(scan) {
  const payload = { at: scan.at, by: scan.by };
  if (scan.by !== "none" && scan.tag) payload.tag = scan.tag;
  if (scan.uid) payload.uid = scan.uid;
  return payload;
}

async function leave(departure) {
  if (!collectVisit().tasks.length) { visitProblem(t("choose_task")); return; }
  await finish("performed", departure);
}

async function finish(outcome, departure) {
  const visit = collectVisit();
  const item = {
    id: visit.id,
    client_id: visit.client_id,
    // Whose visit this is: a session of anyone else is refused rather than credited.
    staff_id: user,
    arrival: scanPayload(visit.arrival),
    outcome,
    tasks: outcome === "performed" ? visit.tasks : [],
    note: visit.note,
  };
  if (departure) item.departure = scanPayload(departure);
  if (visit.no_tag_reason) item.no_tag_reason = visit.no_tag_reason;
  if (visit.partner_id) item.partner_id = visit.partner_id;
  if (visit.alarm_id) item.alarm_id = visit.alarm_id;
  await store.enqueue({
    id: visit.id, item, name: visit.name, client_id: visit.client_id, created: Date.now(),
    status: "waiting", code: "", reason: "",
  });
  await store.markDone({
    id: visit.id, client_id: visit.client_id, name: visit.name, at: visit.arrival.at, outcome, status: "waiting",
  });
  state.current = null;
  buzz([80, 60, 80]);
  const message = { performed: "queued", not_home: "queued_not_home", declined: "queued_declined" }[outcome];
  toast(t(message, { name: visit.name }));
  await refreshQueue();
  await renderDay();
  go("day");
  syncer.soon();
}

// The queue and changing a refused registration --------------------------------------

async function renderQueueView() {
  const counts = renderQueue($("refused-list"), $("waiting-list"), state.entries, openFix, discardEntry);
  show($("refused-part"), counts.refused > 0);
  show($("waiting-part"), counts.waiting > 0);
  show($("queue-empty"), !counts.refused && !counts.waiting);
  show($("send-now"), counts.waiting > 0);
  $("queue-state").textContent = state.lastSync ? t("last_sync", { time: clock(state.lastSync) }) : "";
  const others = await store.othersWaiting();
  $("other-users").textContent = t("other_users_waiting", { count: others });
  show($("other-users"), others > 0);
}

async function openQueue() {
  if (state.signedOut) return;
  await refreshQueue();
  await renderQueueView();
  go("queue");
}

async function discardEntry(entry) {
  if (!(await confirmDialog(t("discard_item")))) return;
  await store.remove([entry.id]);
  await store.markDone({ id: entry.id, status: "discarded" });
  await refreshQueue();
  await renderQueueView();
}

function localTime(iso) {
  const moment = new Date(iso);
  return `${String(moment.getHours()).padStart(2, "0")}:${String(moment.getMinutes()).padStart(2, "0")}`;
}

function withTime(iso, time) {
  const [hours, minutes] = time.split(":").map(Number);
  const moment = new Date(iso);
  moment.setHours(hours, minutes, 0, 0);
  return moment.toISOString();
}

function openFix(entry) {
  state.fixing = entry;
  const item = entry.item;
  $("fix-name").textContent = `${entry.name} · ${clock(item.arrival.at)}`;
  $("fix-refusal").textContent = entry.reason || t("refused_reason_unknown");
  $("fix-outcome").value = item.outcome || "performed";
  $("fix-start").value = localTime(item.arrival.at);
  $("fix-end").value = item.departure ? localTime(item.departure.at) : "";
  const client = clientById(entry.client_id);
  const labels = new Map((state.day ? state.day.tasks : []).map((task) => [task.value, task.label]));
  const granted = client ? client.services.map((service) => service.code) : [];
  const codes = [...new Set([...granted, ...item.tasks, ...labels.keys()])];
  renderTasks($("fix-tasks"), codes.map((code) => ({ value: code, label: labels.get(code) || code })), item.tasks, "fix-task");
  const noTag = $("fix-no-tag");
  noTag.checked = item.arrival.by === "none";
  noTag.disabled = item.arrival.by === "none"; // a scan cannot be made up afterwards
  $("fix-no-tag-reason").value = item.no_tag_reason || "";
  const colleagues = state.day ? state.day.colleagues : [];
  fillSelect($("fix-partner"), [["", t("no_colleague")], ...colleagues.map((person) => [person.id, person.name])],
    item.partner_id || "");
  show($("fix-error"), false);
  fixFields();
  go("fix");
}

function fixFields() {
  show($("fix-tasks-field"), $("fix-outcome").value === "performed");
  show($("fix-reason-field"), $("fix-no-tag").checked);
}

async function saveFix(event) {
  event.preventDefault();
  const entry = state.fixing;
  if (!entry) return;
  const problem = (text) => { $("fix-error").textContent = text; show($("fix-error"), true); buzz([200, 100, 200]); };
  const item = { ...entry.item };
  const outcome = $("fix-outcome").value;
  const startTime = $("fix-start").value;
  const endTime = $("fix-end").value;
  if (!startTime) { problem(t("fix_need_start")); return; }
  const start = withTime(item.arrival.at, startTime);
  const end = endTime ? withTime(item.departure ? item.departure.at : item.arrival.at, endTime) : null;
  if (outcome === "performed" && !end) { problem(t("fix_need_end")); return; }
  if (end && end < start) { problem(t("ends_before_start")); return; }
  const tasks = ticked($("fix-tasks"));
  if (outcome === "performed" && !tasks.length) { problem(t("choose_task")); return; }
  const noTag = $("fix-no-tag").checked;
  const reason = $("fix-no-tag-reason").value;
  if (noTag && !reason) { problem(t("choose_reason")); return; }
  item.outcome = outcome;
  item.tasks = outcome === "performed" ? tasks : [];
  item.arrival = noTag ? { at: start, by: "none" } : { ...item.arrival, at: start };
  if (end) {
    const before = item.departure || item.arrival;
    item.departure = noTag ? { at: end, by: "none" } : { ...before, at: end };
  } else {
    delete item.departure;
  }
  if (noTag || reason) item.no_tag_reason = reason;
  if (!item.no_tag_reason) delete item.no_tag_reason;
  const partner = Number($("fix-partner").value);
  if (partner > 0) item.partner_id = partner; else delete item.partner_id;
  await store.update({ ...entry, item, status: "waiting", code: "", reason: "" });
  await store.markDone({ id: entry.id, at: start, outcome, status: "waiting" });
  state.fixing = null;
  toast(t("resent"));
  await openQueue();
  syncer.soon();
}

// Sending -------------------------------------------------------------------------------

const syncer = new Syncer({
  url: root.dataset.syncUrl,
  probeUrl: root.dataset.dayUrl,
  store,
  hooks: {
    // Nothing is sent before the server has said whose session this is.
    ready: async () => state.confirmed || (navigator.onLine && (await loadDay())),
    answered: async (entry, answer) => {
      const status = answer.status === "refused" ? "refused" : "sent";
      await store.markDone({ id: entry.id, status });
      if (status === "sent") state.lastSync = Date.now();
      state.answered = true;
    },
    signedOut: signOut,
    state: async (name) => {
      const changed = state.sync !== name || state.answered;
      state.sync = name;
      state.answered = false;
      if (!changed) return;
      await refreshQueue();
      if (state.view === "day") await renderDay();
    },
  },
});

// Wiring --------------------------------------------------------------------------------

function readAddress() {
  const params = new URLSearchParams(window.location.search);
  let tag = params.get("tag");
  const prefix = root.dataset.tagPrefix;
  if (!tag && window.location.pathname.startsWith(prefix)) {
    tag = decodeURIComponent(window.location.pathname.slice(prefix.length).replace(/\/$/, ""));
  }
  const alarm = Number(params.get("alarm"));
  const client = Number(params.get("client"));
  if (alarm > 0) state.alarm = { alarm, client: client > 0 ? client : null };
  if (window.location.search || window.location.pathname !== root.dataset.home) {
    window.history.replaceState(null, "", root.dataset.home);
  }
  return tag;
}

function wire() {
  $("scan-arrival").addEventListener("click", () => openScan());
  $("leave").addEventListener("click", () => {
    if (!collectVisit().tasks.length) { visitProblem(t("choose_task")); return; }
    saveVisit();
    openScan();
  });
  $("not-home").addEventListener("click", () => finish("not_home", null));
  $("declined").addEventListener("click", () => finish("declined", null));
  $("discard-visit").addEventListener("click", async () => {
    if (!(await confirmDialog(t("discard_visit")))) return;
    await store.clearCurrent();
    state.current = null;
    await renderDay();
    go("day");
  });
  $("visit-partner").addEventListener("change", saveVisit);
  $("visit-note").addEventListener("change", saveVisit);
  $("client-search").addEventListener("input", () => renderDay());
  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    scanned([$("code-input").value], "code");
  });
  $("code-input").addEventListener("input", () => show($("code-error"), false));
  $("qr-start").addEventListener("click", async () => {
    try {
      await qr.start((text) => scanned([text], "qr"));
      toast(t("camera_looking"));
    } catch (error) {
      report(t("camera_denied"));
    }
  });
  const demo = $("demo-form");
  if (demo) {
    demo.addEventListener("submit", (event) => {
      event.preventDefault();
      scanned([$("demo-tag").value], "tag");
    });
  }
  $("no-tag-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("no-tag-error");
    const reason = ($("no-tag-form").querySelector("input[name=reason]:checked") || {}).value;
    const now = { at: new Date().toISOString(), by: "none" };
    if (state.current) {
      if (!reason) { error.textContent = t("choose_reason"); show(error, true); return; }
      if (!state.current.no_tag_reason) state.current.no_tag_reason = reason;
      leave(now);
      return;
    }
    const client = clientById(Number($("no-tag-client").value));
    if (!client) { error.textContent = t("choose_client"); show(error, true); return; }
    if (!reason) { error.textContent = t("choose_reason"); show(error, true); return; }
    begin(client, now, reason);
  });
  for (const button of document.querySelectorAll("#visit-app [data-back]")) {
    // From changing a registration back to the queue; from the queue or a scan back to the
    // visit in progress or the day.
    button.addEventListener("click", async () => {
      if (state.view === "fix") { await openQueue(); return; }
      if (state.current) { go("visit"); return; }
      await renderDay();
      go("day");
    });
  }
  $("queue-button").addEventListener("click", openQueue);
  $("send-now").addEventListener("click", () => syncer.soon());
  $("fix-form").addEventListener("submit", saveFix);
  $("fix-outcome").addEventListener("change", fixFields);
  $("fix-no-tag").addEventListener("change", fixFields);
  $("alarm-forget").addEventListener("click", async () => {
    state.alarm = null;
    await store.setMeta("alarm", null);
    await renderDay();
  });

  const logout = document.querySelector("form.logout");
  if (logout) {
    logout.addEventListener("submit", async (event) => {
      if (logout.dataset.confirmed) return;
      event.preventDefault();
      const waiting = state.entries.length;
      if (waiting || state.current) {
        const question = waiting ? t("logout_waiting", { count: waiting }) : t("logout_visit");
        if (!(await confirmDialog(question))) return;
      }
      // The worker deletes the day's data too when the logout goes through it; this also
      // covers a phone whose worker is not running yet.
      await store.forgetDay().catch(() => {});
      // The page may be the phone's copy from before the last login: the cookie's token is
      // the current one.
      const token = logout.querySelector("input[name=csrfmiddlewaretoken]");
      if (token && csrfToken()) token.value = csrfToken();
      logout.dataset.confirmed = "yes";
      logout.submit();
    });
  }

  window.addEventListener("online", async () => {
    renderBar();
    await loadDay();
    syncer.soon();
  });
  window.addEventListener("offline", () => { state.sync = "offline"; renderBar(); });
  document.addEventListener("visibilitychange", async () => {
    if (document.visibilityState !== "visible" || state.signedOut) return;
    if (!state.fetched || Date.now() - state.fetched > DAY_REFRESH_MS) await loadDay();
    syncer.soon();
  });
  window.setInterval(renderSince, 30000);
  window.setInterval(() => {
    if (navigator.onLine && !state.signedOut && Date.now() - (state.fetched || 0) > DAY_REFRESH_MS) loadDay();
  }, 5 * 60 * 1000);
}

async function start() {
  wire();
  // Registrations waiting for the network must not be evicted when the phone runs short of
  // space: ask the browser to keep this site's storage.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  await store.forgetOthers().catch(() => {});
  const row = await store.day().catch(() => null);
  if (row) {
    state.day = row.data;
    state.fetched = row.fetched;
  }
  state.current = await store.current();
  state.alarm = await store.meta("alarm");
  const tag = readAddress();
  if (state.alarm) await store.setMeta("alarm", state.alarm);
  state.entries = await store.queued();
  renderBar();
  if (state.current) {
    renderVisit();
    go("visit");
  } else {
    await renderDay();
    go("day");
  }
  root.dataset.state = "ready";
  if (await NfcReader.allowed()) await nfc.start();
  renderNfc();
  if (tag) scanned([tag], "tag");
  if (navigator.onLine) {
    await loadDay();
  } else {
    state.sync = "offline";
    renderBar();
  }
  if (!state.signedOut) syncer.soon();
}

start().catch(() => {
  // The phone's storage cannot be opened (private mode, storage full): say so rather than
  // seem to work and lose registrations.
  $("view-starting").textContent = t("storage_broken");
  root.dataset.state = "broken";
});
