// Trygg's staff app shell, the one service worker for every phone page (the alarm phone
// today, the visit app next). It shows the notifications a page asks for and opens that page
// again when one is tapped, and when the network is gone it answers a page load with the
// offline page. Pages always come from the server: the offline page, which holds no data,
// is the only thing kept here; nothing about clients is cached.
const OFFLINE_URL = "{{ offline_url|escapejs }}";
const START_URL = "{{ start_url|escapejs }}";
const CACHE = "trygg-shell-{{ version|escapejs }}";

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
    const names = await caches.keys();
    await Promise.all(
      names.filter((name) => name.startsWith("trygg-shell-") && name !== CACHE)
        .map((name) => caches.delete(name))
    );
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  // Only page loads, and only when the network fails; the alarm stream, forms and
  // everything else go to the server untouched.
  if (request.mode !== "navigate" || request.method !== "GET") return;
  event.respondWith((async () => {
    try {
      return await fetch(request);
    } catch (error) {
      return (await caches.match(OFFLINE_URL)) || Response.error();
    }
  })());
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
