// The staff app shell on a phone page: registers Trygg's one service worker, which shows
// the page's notifications while it is in the background and the offline page when the
// network is gone. The page itself asks for notifications (see alarms/live.js).
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register(script.dataset.worker, { scope: script.dataset.scope })
    .catch(() => {});
})();
