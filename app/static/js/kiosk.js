// A hall pad (templates/kiosk/): full screen at the first touch, and a questionnaire left alone for the
// scheme's idle time is opened afresh, so the next citizen never sees the last one's answers.
(function () {
  "use strict";
  var root = document.documentElement;
  var standalone = window.matchMedia && window.matchMedia("(display-mode: fullscreen)").matches;
  if (!standalone && root.requestFullscreen) {
    document.addEventListener("pointerdown", function () {
      if (!document.fullscreenElement) { root.requestFullscreen().catch(function () {}); }
    }, { once: true });
  }
  var form = document.querySelector("form[data-idle-reset]");
  if (!form) { return; }
  var seconds = parseInt(form.dataset.idleReset, 10), timer = null;
  function arm() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { window.location.replace(form.dataset.resetUrl); }, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "change", "scroll", "touchmove"].forEach(function (name) {
    document.addEventListener(name, arm, { capture: true, passive: true });
  });
  arm();
})();
