// Trygg's alarm phone: shows a notification when the page is in the background and an
// alarm arrives, and opens the alarm list when it is tapped. Alarms always come from the
// server; nothing about clients is cached here.
self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (client.url.includes("{{ phone_url }}")) { return client.focus(); }
    }
    return self.clients.openWindow("{{ phone_url }}");
  })());
});
