// Trygg's staff app shell, the one service worker for every phone page (the alarm phone,
// the visit app). It shows the notifications a page asks for and opens that page again when
// one is tapped, and when the network is gone it answers a page load with the offline page.
//
// Pages come from the server whenever there is network. A page that works offline asks to
// be kept by answering with `X-Trygg-Offline: keep` (it must hold no client data: its
// script keeps its data in IndexedDB), and by a <meta name="trygg-offline"> that makes
// front/app.js ask for it the first time, before this worker saw it load. The worker keeps
// its latest copy and the static files it links to, and answers with them when the network is gone (network first, this cache
// after). `X-Trygg-Offline-Also: /t/` lets the kept page answer navigations under those paths
// too while offline (a tag's link). No other page is ever kept.
//
// Logging out (a POST to the logout page) forgets the kept pages and deletes the IndexedDB
// databases whose names start with "trygg-session-": what a phone page keeps there (the
// day's clients) goes with the session. Databases named otherwise (registrations not yet
// sent) stay for the same person's next login.
const OFFLINE_URL = "{{ offline_url|escapejs }}";
const START_URL = "{{ start_url|escapejs }}";
const LOGOUT_URL = "{{ logout_url|escapejs }}";
const VERSION = "{{ version|escapejs }}";
const CACHE = "trygg-shell-" + VERSION;
const PAGES = "trygg-pages-" + VERSION;
const FILES = "trygg-files-" + VERSION;
const SESSION_DATABASES = "trygg-session-";
const STATIC_PREFIX = "{{ static_prefix|escapejs }}";

self.addEventListener("install", (event) => {
  self.skipWaiting();
  // Without the offline page the worker still shows notifications: never fail over it.
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.add(new Request(OFFLINE_URL, { cache: "reload" })))
      .catch(() => {})
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const mine = new Set([CACHE, PAGES, FILES]);
    const names = await caches.keys();
    await Promise.all(
      names.filter((name) => name.startsWith("trygg-") && !mine.has(name))
        .map((name) => caches.delete(name))
    );
    await self.clients.claim();
  })());
});

function pageKey(url) {
  const key = new URL(url);
  key.search = "";
  key.hash = "";
  return key.href;
}

async function keep(request, response) {
  const pages = await caches.open(PAGES);
  await pages.put(pageKey(request.url), response.clone());
  // The page's own files (styles, scripts, icon): whatever it links to under /static/.
  const html = await response.clone().text();
  const files = new Set();
  for (const match of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const url = new URL(match[1].replace(/&amp;/g, "&"), request.url);
    if (url.origin === self.location.origin && url.pathname.startsWith(STATIC_PREFIX)) {
      files.add(url.href);
    }
  }
  const cache = await caches.open(FILES);
  await Promise.all([...files].map((url) =>
    fetch(url, { cache: "no-cache" })
      .then((answer) => (answer.ok ? cache.put(url, answer) : undefined))
      .catch(() => {})
  ));
}

// A page asked to be kept (front/app.js) before the worker saw it load: fetch it now.
async function keepNow(url) {
  const target = new URL(url);
  if (target.origin !== self.location.origin) return;
  const key = pageKey(url);
  const pages = await caches.open(PAGES);
  if (await pages.match(key)) return;
  const response = await fetch(key, { credentials: "same-origin", cache: "no-store" });
  if (response.ok && !response.redirected && response.headers.get("X-Trygg-Offline") === "keep") {
    await keep(new Request(key), response);
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep" && typeof data.url === "string") {
    event.waitUntil(keepNow(data.url).catch(() => {}));
  }
});

async function keptPageFor(url) {
  const pages = await caches.open(PAGES);
  const exact = await pages.match(pageKey(url));
  if (exact) return exact;
  const path = new URL(url).pathname;
  let newest = null;
  for (const request of await pages.keys()) {
    const page = await pages.match(request);
    if (!page) continue;
    const also = (page.headers.get("X-Trygg-Offline-Also") || "").split(/\s+/).filter(Boolean);
    if (also.some((prefix) => path.startsWith(prefix))) return page;
    newest = newest || page;
  }
  // The installed app opens at its start page: offline, it opens where work can go on.
  if (path === START_URL || path === "/") return newest;
  return null;
}

async function forgetSession() {
  await caches.delete(PAGES);
  if (!self.indexedDB || !indexedDB.databases) return;
  const databases = await indexedDB.databases();
  await Promise.all(databases
    .filter((db) => db.name && db.name.startsWith(SESSION_DATABASES))
    .map((db) => new Promise((resolve) => {
      const deleting = indexedDB.deleteDatabase(db.name);
      deleting.onsuccess = deleting.onerror = deleting.onblocked = () => resolve();
    })));
}

async function navigate(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.headers.get("X-Trygg-Offline") === "keep") {
      event.waitUntil(keep(request, response.clone()).catch(() => {}));
    } else if (response.redirected || response.status === 401 || response.status === 403) {
      // Logged out, or no longer allowed: the copy of this page goes too.
      event.waitUntil(caches.open(PAGES).then((pages) => pages.delete(pageKey(request.url))));
    }
    return response;
  } catch (error) {
    return (await keptPageFor(request.url)) || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function file(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(FILES);
    return (await cache.match(request.url, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && request.method === "POST" && url.pathname === LOGOUT_URL) {
    // The logout itself goes to the server untouched; the phone forgets the session's data.
    event.waitUntil(forgetSession().catch(() => {}));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(file(request));
  }
  // Everything else (the API, the alarm stream, fragments) goes to the server untouched.
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || START_URL;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (client.url.includes(url)) { return client.focus(); }
    }
    return self.clients.openWindow(url);
  })());
});
