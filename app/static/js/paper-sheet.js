// Keying speed on the paper-sheet page: a digit typed in one box moves on to the next.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input.digit");
  boxes.forEach(function (box, i) {
    box.addEventListener("input", function () {
      if (/^[0-5]$/.test(box.value)) { (boxes[i + 1] || document.getElementById("comment")).focus(); }
    });
  });
})();
