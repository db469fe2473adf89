// The intake form: the unit list filters as one types, the window list follows the unit, and the
// identity fields hide for an anonymous report. Without script the form still works (all shown).
(function () {
  "use strict";
  var filter = document.getElementById("unit-filter"), units = document.getElementById("unit_code");
  var windows = document.getElementById("window_code"), anon = document.getElementById("anonymous");
  filter.hidden = false;
  filter.addEventListener("input", function () {
    var q = filter.value.trim(), first = null;
    Array.prototype.forEach.call(units.options, function (o) {
      var show = !o.value || !q || o.text.indexOf(q) >= 0;
      o.hidden = !show;
      if (show && o.value && !first) first = o;
    });
    if (first && units.selectedOptions[0] && units.selectedOptions[0].hidden) units.value = first.value;
    if (q && first) units.value = first.value;
    showWindows();
  });
  function showWindows() {
    Array.prototype.forEach.call(windows.options, function (o) {
      o.hidden = !!o.value && o.dataset.unit !== units.value;
    });
    if (windows.selectedOptions[0] && windows.selectedOptions[0].hidden) windows.value = "";
  }
  units.addEventListener("change", showWindows);
  showWindows();
  function identity() { document.getElementById("identity").hidden = anon.checked; }
  anon.addEventListener("change", identity);
  identity();
})();
