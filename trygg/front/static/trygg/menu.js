// The menu on a phone: folded into one button beside the brand, so every page starts with
// one short row instead of three or four lines of links, and the whole menu is one tap
// away. Wide screens show the menu as it is (the CSS decides by width); without script the
// menu simply stays open.
(function () {
  "use strict";
  const header = document.querySelector(".topbar");
  const button = header && header.querySelector(".menu-toggle");
  if (!button) return;
  header.classList.add("js-menu");
  function set(open) {
    header.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  }
  button.addEventListener("click", () => set(!header.classList.contains("open")));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
})();
