// The staff app shell on a phone page: registers Trygg's one service worker, which shows
// the page's notifications while it is in the background and the offline page when the
// network is gone. The page itself asks for notifications (see alarms/live.js).
//
// A page that works offline says so with <meta name="trygg-offline" content="keep">: the
// worker keeps it from its next load on, and this asks it to keep the page now, so even the
// first time it is opened it is there when the network goes (see front/sw.js).
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register(script.dataset.worker, { scope: script.dataset.scope })
    .catch(() => {});
  if (document.querySelector('meta[name="trygg-offline"][content="keep"]')) {
    navigator.serviceWorker.ready
      .then((registration) => {
        if (registration.active) registration.active.postMessage({ type: "keep", url: window.location.href });
      })
      .catch(() => {});
  }
})();
