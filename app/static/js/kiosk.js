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
  var touched = false;
  ["pointerdown", "keydown", "input", "change", "scroll", "touchmove"].forEach(function (name) {
    document.addEventListener(name, function () { touched = true; arm(); }, { capture: true, passive: true });
  });
  arm();
  // While nobody is using the pad, ask whether its window just registered a service to rate (the page of
  // that one service then opens); a citizen already answering is never interrupted.
  if (holder.dataset.pollUrl && window.fetch) {
    var poll = window.setInterval(function () {
      if (touched) { window.clearInterval(poll); return; }
      window.fetch(holder.dataset.pollUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.json() : {}; })
        .then(function (data) { if (data.rate && !touched) { window.location.replace(data.rate); } })
        .catch(function () {});
    }, parseInt(holder.dataset.pollAfter, 10) * 1000);
  }
})();
