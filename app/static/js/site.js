// Behaviour every page may use, bound by data- attributes (the CSP refuses inline handlers).
(function () {
  "use strict";
  // <form data-confirm="…">: ask before sending a step that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // The header's 大字 switch (templates/_text_size.html): large text on every page, remembered here.
  var textSize = document.getElementById("text-size"), root = document.documentElement;
  if (textSize) {
    textSize.hidden = false;
    textSize.setAttribute("aria-pressed", String(root.classList.contains("large-text")));
    textSize.addEventListener("click", function () {
      var large = root.classList.toggle("large-text");
      textSize.setAttribute("aria-pressed", String(large));
      try { window.localStorage.setItem("xn-text-size", large ? "large" : "standard"); } catch (ignored) { /* not kept */ }
    });
  }
  // <select data-follows="ID">: show only the options whose data-parent matches the select ID's value
  // (a unit's windows); options without data-parent (the empty choice) always show.
  document.querySelectorAll("select[data-follows]").forEach(function (select) {
    var parent = document.getElementById(select.dataset.follows);
    if (!parent) return;
    function follow() {
      Array.prototype.forEach.call(select.options, function (o) {
        o.hidden = o.hasAttribute("data-parent") && o.dataset.parent !== parent.value;
        o.disabled = o.hidden;
      });
      if (select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = "";
    }
    parent.addEventListener("change", follow);
    follow();
  });
  // <button data-print>: the browser's print dialogue.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
