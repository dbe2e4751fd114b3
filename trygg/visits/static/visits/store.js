// What the visit app keeps on the phone, in IndexedDB, always under the person's user id:
//
// - "trygg-visits" (kept across logins): registrations not yet accepted by Trygg (`queue`,
//   with the server's reason when one was refused) and the visit in progress (`current`), so
//   nothing registered is lost to a lost session, a reload or a restart. Only the person who
//   made them sees them, and they are sent when that person logs in again.
// - "trygg-session-visits" (goes with the session): the day's clients from the API (`day`)
//   and what was registered today (`done`). The service worker deletes this database when
//   someone logs out (front/sw.js); the app deletes a person's part when the server says the
//   session has ended, and every other person's part when someone else opens the app.
const KEEP = "trygg-visits";
const SESSION = "trygg-session-visits";
// A day's list is for one shift: older than this, it is not shown (nor kept).
export const DAY_MAX_AGE_MS = 20 * 3600 * 1000;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("aborted"));
  });
}

function openDatabase(name, upgrade) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      // Someone logged out (the worker deletes the session's database): let it go.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("blocked"));
  });
}

function upgradeKeep(db) {
  if (!db.objectStoreNames.contains("queue")) {
    db.createObjectStore("queue", { keyPath: "id" }).createIndex("user", "user");
  }
  if (!db.objectStoreNames.contains("current")) db.createObjectStore("current", { keyPath: "user" });
  if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
}

const SESSION_STORES = ["day", "done"];

function upgradeSession(db) {
  if (!db.objectStoreNames.contains("day")) db.createObjectStore("day", { keyPath: "user" });
  if (!db.objectStoreNames.contains("done")) {
    db.createObjectStore("done", { keyPath: "id" }).createIndex("user", "user");
  }
}

function deleteDatabase(name) {
  return new Promise((resolve) => {
    const deleting = indexedDB.deleteDatabase(name);
    deleting.onsuccess = deleting.onerror = deleting.onblocked = () => resolve();
  });
}

export class Store {
  constructor(user) {
    this.user = user;
  }

  async keep() {
    return openDatabase(KEEP, upgradeKeep);
  }

  // Opened afresh each time: the worker may have deleted it since (a logout in another tab).
  async session() {
    const db = await openDatabase(SESSION, upgradeSession);
    if (SESSION_STORES.every((name) => db.objectStoreNames.contains(name))) return db;
    // Not the shape this app made (an older app's, half deleted): it holds nothing that must
    // be kept, so it is made anew.
    db.close();
    await deleteDatabase(SESSION);
    return openDatabase(SESSION, upgradeSession);
  }

  async run(open, names, mode, work) {
    const db = await open.call(this);
    try {
      const transaction = db.transaction(names, mode);
      const finished = done(transaction);
      let result;
      try {
        result = await work(transaction);
      } catch (error) {
        finished.catch(() => {});
        try { transaction.abort(); } catch (ignored) { /* already finished */ }
        throw error;
      }
      await finished;
      return result;
    } finally {
      db.close();
    }
  }

  // The day's clients ---------------------------------------------------------------------

  async day() {
    const row = await this.run(this.session, ["day"], "readonly", (t) =>
      promised(t.objectStore("day").get(this.user)));
    if (!row) return null;
    if (Date.now() - row.fetched > DAY_MAX_AGE_MS) {
      await this.forgetDay();
      return null;
    }
    return row;
  }

  async saveDay(data) {
    const row = { user: this.user, fetched: Date.now(), data };
    await this.run(this.session, ["day"], "readwrite", (t) => promised(t.objectStore("day").put(row)));
    return row;
  }

  async forgetDay() {
    await this.run(this.session, ["day", "done"], "readwrite", async (t) => {
      t.objectStore("day").delete(this.user);
      const ids = await promised(t.objectStore("done").index("user").getAllKeys(this.user));
      ids.forEach((id) => t.objectStore("done").delete(id));
    });
  }

  // Another person opened the app on this phone: nothing of anyone else's day stays.
  async forgetOthers() {
    await this.run(this.session, ["day", "done"], "readwrite", async (t) => {
      const days = t.objectStore("day");
      const users = await promised(days.getAllKeys());
      users.filter((user) => user !== this.user).forEach((user) => days.delete(user));
      const registered = t.objectStore("done");
      const rows = await promised(registered.getAll());
      rows.filter((row) => row.user !== this.user).forEach((row) => registered.delete(row.id));
    });
  }

  // What was registered today, for the day's list ---------------------------------------

  async doneToday() {
    const rows = await this.run(this.session, ["done"], "readonly", (t) =>
      promised(t.objectStore("done").index("user").getAll(this.user)));
    const today = new Date().toDateString();
    return rows.filter((row) => new Date(row.at).toDateString() === today)
      .sort((a, b) => b.at.localeCompare(a.at));
  }

  async markDone(row) {
    await this.run(this.session, ["done"], "readwrite", async (t) => {
      const store = t.objectStore("done");
      const before = await promised(store.get(row.id));
      store.put({ ...(before || {}), ...row, user: this.user });
    });
  }

  // The visit in progress -----------------------------------------------------------------

  async current() {
    return (await this.run(this.keep, ["current"], "readonly", (t) =>
      promised(t.objectStore("current").get(this.user)))) || null;
  }

  async saveCurrent(visit) {
    await this.run(this.keep, ["current"], "readwrite", (t) =>
      promised(t.objectStore("current").put({ ...visit, user: this.user })));
  }

  async clearCurrent() {
    await this.run(this.keep, ["current"], "readwrite", (t) =>
      promised(t.objectStore("current").delete(this.user)));
  }

  // Registrations waiting for Trygg ----------------------------------------------------

  async queued() {
    const rows = await this.run(this.keep, ["queue"], "readonly", (t) =>
      promised(t.objectStore("queue").index("user").getAll(this.user)));
    return rows.sort((a, b) => a.created - b.created);
  }

  async othersWaiting() {
    const rows = await this.run(this.keep, ["queue"], "readonly", (t) =>
      promised(t.objectStore("queue").getAll()));
    return rows.filter((row) => row.user !== this.user).length;
  }

  async enqueue(entry) {
    await this.run(this.keep, ["queue", "current"], "readwrite", (t) => {
      t.objectStore("queue").put({ ...entry, user: this.user });
      // One transaction: the visit leaves "in progress" exactly when it joins the queue.
      t.objectStore("current").delete(this.user);
    });
  }

  async update(entry) {
    await this.run(this.keep, ["queue"], "readwrite", (t) =>
      promised(t.objectStore("queue").put({ ...entry, user: this.user })));
  }

  async remove(ids) {
    await this.run(this.keep, ["queue"], "readwrite", (t) => {
      ids.forEach((id) => t.objectStore("queue").delete(id));
    });
  }

  async meta(key) {
    const row = await this.run(this.keep, ["meta"], "readonly", (t) =>
      promised(t.objectStore("meta").get(`${key}:${this.user}`)));
    return row ? row.value : null;
  }

  async setMeta(key, value) {
    await this.run(this.keep, ["meta"], "readwrite", (t) => {
      const store = t.objectStore("meta");
      if (value === null) store.delete(`${key}:${this.user}`);
      else store.put({ key: `${key}:${this.user}`, value });
    });
  }
}
