// 大字模式, applied before the page is drawn (this script is not deferred), as this browser last chose it.
// The switch itself is bound in site.js.
(function () {
  "use strict";
  try {
    if (window.localStorage.getItem("xn-text-size") === "large") {
      document.documentElement.classList.add("large-text");
    }
  } catch (ignored) { /* storage refused (private mode): standard size */ }
})();
