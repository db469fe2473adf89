// A hall pad (templates/kiosk/): full screen at the first touch, and a page left alone goes back to an
// empty questionnaire (data-reset-after seconds), so the next citizen never sees the last one's answers.
// A warning shows data-warn-before seconds ahead; any touch dismisses it and starts the wait again.
(function () {
  "use strict";
  var root = document.documentElement;
  var standalone = window.matchMedia && window.matchMedia("(display-mode: fullscreen)").matches;
  if (!standalone && root.requestFullscreen) {
    document.addEventListener("pointerdown", function () {
      if (!document.fullscreenElement) { root.requestFullscreen().catch(function () {}); }
    }, { once: true });
  }
  var holder = document.querySelector("[data-reset-after]");
  if (!holder) { return; }
  var seconds = parseInt(holder.dataset.resetAfter, 10), warn = parseInt(holder.dataset.warnBefore || "0", 10);
  var banner = document.getElementById("idle-warning"), timers = [];
  function arm() {
    timers.forEach(window.clearTimeout);
    timers = [];
    if (banner) { banner.hidden = true; }
    if (banner && warn > 0 && warn < seconds) {
      timers.push(window.setTimeout(function () { banner.hidden = false; }, (seconds - warn) * 1000));
    }
    timers.push(window.setTimeout(function () { window.location.replace(holder.dataset.resetUrl); }, seconds * 1000));
  }
  ["pointerdown", "keydown", "input", "change", "scroll", "touchmove"].forEach(function (name) {
    document.addEventListener(name, arm, { capture: true, passive: true });
  });
  arm();
})();
