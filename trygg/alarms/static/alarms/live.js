// Live alarm pages: the console, one alarm, the responder's phone.
//
// One EventSource per page on the alarm stream. Each `alarm` event reloads the list from
// the server (coalesced: at most one request in flight, the next one queued), so what is
// shown is always what the server renders under the person's access rules; the events
// themselves carry only ids and states. A new, escalated or repeated alarm beeps once sound
// is on (browsers allow audio only after a tap), vibrates on phones, and shows a
// notification when the page is in the background. The phone's list says when the
// person's team next goes on or off shift (data-reload-at, with the server's clock in
// data-server-now): the list reloads then, so a shift's alarms appear as it starts.
(function () {
  "use strict";
  const root = document.querySelector("[data-live]");
  if (!root) return;
  const live = document.getElementById("live");
  const soundButton = document.getElementById("sound");
  const target = root.dataset.target ? document.getElementById(root.dataset.target) : null;
  const watch = root.dataset.watch ? Number(root.dataset.watch) : null;
  const isPhone = root.hasAttribute("data-phone");
  // "routed" after the first routing: handed over to the team coming on shift.
  const ALERTING = new Set(["raised", "routed", "escalated", "reminded"]);
  let audio = null;
  let inFlight = false;
  let again = false;
  let timer = null;
  let boundary = null;

  function setState(state) {
    if (!live) return;
    live.dataset.state = state;
    live.textContent = root.dataset[state + "Label"] || state;
  }

  function ages() {
    const now = Date.now();
    document.querySelectorAll("time[data-age]").forEach((el) => {
      const seconds = Math.max(0, Math.round((now - Date.parse(el.getAttribute("datetime"))) / 1000));
      const minutes = Math.floor(seconds / 60);
      el.textContent = minutes < 1 ? seconds + " s" : minutes < 60 ? minutes + " min" : Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
      el.classList.toggle("late", minutes >= 2);
    });
  }

  async function reload() {
    if (!target || !root.dataset.list) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const response = await fetch(root.dataset.list, { credentials: "same-origin", cache: "no-store", headers: { "X-Requested-With": "fetch" } });
      if (response.ok && !response.redirected) {
        target.innerHTML = await response.text();
        ages();
        watchBoundary();
        document.dispatchEvent(new CustomEvent("trygg:reloaded"));
      } else if (response.redirected || response.status === 403) {
        window.location.reload(); // logged out or no longer allowed: the server decides
      }
    } catch (error) {
      again = true; // offline for a moment: try again with the next event or reconnect
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }

  function watchBoundary() {
    if (boundary !== null) { window.clearTimeout(boundary); boundary = null; }
    const marked = target ? target.querySelector("[data-reload-at]") : null;
    if (!marked) return;
    // Measured on the server's clock: a phone whose clock is off still reloads on time.
    const wait = Date.parse(marked.dataset.reloadAt) - Date.parse(marked.dataset.serverNow);
    if (!(wait >= 0)) return;
    boundary = window.setTimeout(schedule, Math.min(wait + 1000, 2147483000));
  }

  function schedule() {
    if (timer !== null) return;
    timer = window.setTimeout(() => { timer = null; reload(); }, 50);
  }

  function beep() {
    if (!audio) return;
    const start = audio.currentTime;
    [0, 0.35, 0.7].forEach((offset) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.3);
    });
  }

  async function notify() {
    if (!isPhone || document.visibilityState === "visible") return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    // The shell's worker (front/app.html registers it); tapping the notification opens this page.
    const registration = await navigator.serviceWorker?.getRegistration();
    const options = { body: root.dataset.notifyBody, tag: "trygg-alarm", renotify: true, requireInteraction: true, vibrate: [400, 150, 400, 150, 400], data: { url: window.location.pathname } };
    if (registration) registration.showNotification(root.dataset.notifyTitle, options);
  }

  function alert(data) {
    if (!ALERTING.has(data.action)) return;
    beep();
    if (isPhone && navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    notify();
  }

  function changedHere(data) {
    const note = document.getElementById("changed");
    if (!note || data.alarm !== watch) return;
    note.hidden = false;
    note.innerHTML = "";
    const text = document.createElement("span");
    text.textContent = root.dataset.changedLabel + " ";
    const link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = root.dataset.reloadLabel;
    note.append(text, link);
  }

  function connect() {
    const es = new EventSource(root.dataset.stream);
    es.addEventListener("ready", () => { setState("live"); schedule(); });
    es.addEventListener("alarm", (message) => {
      const data = JSON.parse(message.data);
      alert(data);
      if (watch !== null) changedHere(data);
      schedule();
      document.dispatchEvent(new CustomEvent("trygg:alarm", { detail: data }));
    });
    es.addEventListener("resync", schedule);
    es.onerror = () => {
      const closed = es.readyState === EventSource.CLOSED;
      setState(closed ? "down" : "connecting");
      // Closed for good (logged out, no longer allowed): the list request finds out why.
      if (closed) { schedule(); window.setTimeout(() => { source = connect(); }, 5000); }
    };
    es.onopen = () => setState("live");
    return es;
  }

  if (soundButton) {
    soundButton.addEventListener("click", async () => {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!audio && Context) audio = new Context();
      if (audio && audio.state === "suspended") await audio.resume();
      soundButton.setAttribute("aria-pressed", "true");
      soundButton.textContent = soundButton.dataset.on;
      beep();
      if (isPhone) {
        if (navigator.vibrate) navigator.vibrate(200);
        if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
        if ("wakeLock" in navigator) navigator.wakeLock.request("screen").catch(() => {});
      }
    });
  }
  let source = connect();
  // A laptop lid closed over night: start afresh when the page is shown again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && source.readyState === EventSource.CLOSED) {
      source = connect();
    }
  });
  ages();
  watchBoundary();
  window.setInterval(ages, 15000);
})();
