// Behaviour every page may use, bound by data- attributes (the CSP refuses inline handlers).
(function () {
  "use strict";
  // <form data-confirm="…">: ask before sending a step that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // <button data-print>: the browser's print dialogue.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
