// Sending the phone's registrations to Trygg: `POST /api/v1/visits/sync` with the session's
// cookie and CSRF header, in batches, by itself: when the app opens, when the network comes
// back, and while anything waits, again and again with a growing pause when Trygg cannot be
// reached. Trygg answers each item: accepted and duplicate leave the queue (a batch sent
// twice is stored once, by the ids the phone made), refused ones stay with the reason.
const BATCH = 500;
const FIRST_PAUSE_MS = 5000;
const LONGEST_PAUSE_MS = 5 * 60 * 1000;
const TICK_MS = 60 * 1000;

// The CSRF token: from the cookie, which is current even when the page itself came from the
// service worker's copy, made in an earlier session.
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

export class Syncer {
  // hooks: ready() says whether the session is known to be the page's person; answered(entry,
  // answer) for each item; signedOut(); state(name) with "sending", "idle", "offline" or
  // "trouble".
  constructor({ url, probeUrl, store, hooks }) {
    this.url = url;
    this.probeUrl = probeUrl;
    this.store = store;
    this.hooks = hooks;
    this.running = false;
    this.again = false;
    this.pause = FIRST_PAUSE_MS;
    this.timer = null;
    this.stopped = false;
    window.setInterval(() => this.soon(), TICK_MS);
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  soon() {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.run(), 50);
  }

  retryLater() {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.run(), this.pause);
    this.pause = Math.min(this.pause * 2, LONGEST_PAUSE_MS);
  }

  async run() {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      if (!(await this.hooks.ready())) {
        if (!this.stopped) {
          this.hooks.state(navigator.onLine ? "trouble" : "offline");
          this.retryLater();
        }
        return;
      }
      for (;;) {
        const waiting = (await this.store.queued()).filter((entry) => entry.status === "waiting");
        if (!waiting.length) { this.hooks.state("idle"); break; }
        this.hooks.state("sending");
        const batch = waiting.slice(0, BATCH);
        const outcome = await this.send(batch);
        if (outcome !== "sent") { this.hooks.state(outcome); break; }
        this.pause = FIRST_PAUSE_MS;
      }
    } finally {
      this.running = false;
      if (this.again) { this.again = false; this.soon(); }
    }
  }

  async send(batch) {
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify({ sent_at: new Date().toISOString(), items: batch.map((e) => e.item) }),
      });
    } catch (error) {
      this.retryLater();
      return "offline";
    }
    if (response.status === 401 || response.status === 403) {
      // Logged out (the session ended, or the phone was reported lost), or a stale CSRF
      // token: the day's list, which needs no token, tells which.
      if (await this.signedOut()) {
        this.stop();
        await this.hooks.signedOut();
        return "signed-out";
      }
      this.retryLater();
      return "trouble";
    }
    if (!response.ok) {
      this.retryLater();
      return "trouble";
    }
    let answer;
    try {
      answer = await response.json();
    } catch (error) {
      this.retryLater();
      return "trouble";
    }
    const accepted = [];
    const items = Array.isArray(answer.items) ? answer.items : [];
    if (items.length !== batch.length) {
      this.retryLater();
      return "trouble";
    }
    for (const item of items) {
      const entry = batch[item.index];
      if (!entry) continue;
      if (item.status === "accepted" || item.status === "duplicate") {
        accepted.push(entry.id);
      } else {
        await this.store.update({ ...entry, status: "refused", code: item.code || "", reason: item.reason || "" });
      }
      await this.hooks.answered(entry, item);
    }
    if (accepted.length) await this.store.remove(accepted);
    return "sent";
  }

  async signedOut() {
    try {
      const probe = await fetch(this.probeUrl, { credentials: "same-origin", cache: "no-store" });
      return probe.status === 401 || probe.status === 403;
    } catch (error) {
      return false;
    }
  }
}
