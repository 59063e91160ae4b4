// Light or dark, as the system is set (Bootstrap's data-bs-theme). Loaded in <head>, before the page is
// drawn, so that a dark system never sees a flash of the light page; follows the setting when it changes.
(function () {
  "use strict";
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function apply() {
    document.documentElement.setAttribute("data-bs-theme", dark && dark.matches ? "dark" : "light");
  }
  apply();
  if (dark && dark.addEventListener) {
    dark.addEventListener("change", apply);
  }
  // Paper is white: print in the light scheme whatever the screen shows.
  window.addEventListener("beforeprint", function () {
    document.documentElement.setAttribute("data-bs-theme", "light");
  });
  window.addEventListener("afterprint", apply);
})();
