// What the phone's doors keep in IndexedDB, always under the person's user id:
//
// - "trygg-session-doors" (goes with the session): the doors and their unlock tokens from
//   `GET /api/v1/locks/tokens`, with the tokens already handed to a lock struck off. The
//   service worker deletes it when someone logs out (front/sw.js), and the page deletes every
//   other person's part when someone else opens it: tokens never outlive the session.
// - "trygg-doors" (kept across logins): the locks' answers (their events) not yet accepted
//   by Trygg, so an opening or a refusal at a door without network is never lost.
const KEEP = "trygg-doors";
const SESSION = "trygg-session-doors";

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(name, upgrade) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("blocked"));
  });
}

function upgradeKeep(db) {
  if (!db.objectStoreNames.contains("events")) {
    db.createObjectStore("events", { keyPath: "key" }).createIndex("user", "user");
  }
}

function upgradeSession(db) {
  if (!db.objectStoreNames.contains("doors")) db.createObjectStore("doors", { keyPath: "user" });
}

async function run(name, upgrade, store, mode, work) {
  const db = await openDatabase(name, upgrade);
  try {
    const transaction = db.transaction([store], mode);
    const finished = new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("aborted"));
    });
    const result = await work(transaction.objectStore(store));
    await finished;
    return result;
  } finally {
    db.close();
  }
}

export class DoorStore {
  constructor(user) {
    this.user = user;
  }

  // The doors and their tokens ------------------------------------------------------------

  async doors() {
    return (await run(SESSION, upgradeSession, "doors", "readonly", (s) => promised(s.get(this.user)))) || null;
  }

  async saveDoors(data) {
    const row = { user: this.user, fetched: Date.now(), data };
    await run(SESSION, upgradeSession, "doors", "readwrite", (s) => promised(s.put(row)));
    return row;
  }

  async forgetDoors() {
    await run(SESSION, upgradeSession, "doors", "readwrite", (s) => promised(s.delete(this.user)));
  }

  async forgetOthers() {
    await run(SESSION, upgradeSession, "doors", "readwrite", async (s) => {
      const users = await promised(s.getAllKeys());
      users.filter((user) => user !== this.user).forEach((user) => s.delete(user));
    });
  }

  // Takes the door's next token off the phone, in one transaction: a token is handed to a
  // lock once, whatever the lock answers (an accepted one is spent; a refused one would be
  // refused again).
  async takeToken(lockId) {
    return run(SESSION, upgradeSession, "doors", "readwrite", async (s) => {
      const row = await promised(s.get(this.user));
      if (!row) return null;
      const door = row.data.doors.find((d) => d.lock_id === lockId);
      if (!door || !door.tokens.length) return null;
      const token = door.tokens.shift();
      s.put(row);
      return token;
    });
  }

  async noteAnswer(lockId, answer) {
    await run(SESSION, upgradeSession, "doors", "readwrite", async (s) => {
      const row = await promised(s.get(this.user));
      if (!row) return;
      const door = row.data.doors.find((d) => d.lock_id === lockId);
      if (door) door.last = answer;
      s.put(row);
    });
  }

  // The locks' events, waiting for Trygg ------------------------------------------------

  async events() {
    const rows = await run(KEEP, upgradeKeep, "events", "readonly", (s) =>
      promised(s.index("user").getAll(this.user)));
    return rows.sort((a, b) => a.created - b.created);
  }

  async addEvent(lockId, event) {
    const row = {
      key: `${lockId}/${event.id}`, user: this.user, lock_id: lockId, event,
      status: "waiting", created: Date.now(),
    };
    await run(KEEP, upgradeKeep, "events", "readwrite", (s) => promised(s.put(row)));
  }

  async removeEvents(keys) {
    await run(KEEP, upgradeKeep, "events", "readwrite", async (s) => {
      keys.forEach((key) => s.delete(key));
    });
  }

  async refuseEvent(key, reason) {
    await run(KEEP, upgradeKeep, "events", "readwrite", async (s) => {
      const row = await promised(s.get(key));
      if (row) s.put({ ...row, status: "refused", reason });
    });
  }
}
