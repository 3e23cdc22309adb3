/* Buttons marked data-print open the browser's print dialog (announcements, survey posters). A static file, not an
   onclick attribute: the Content-Security-Policy allows no inline script (docs/security.md). */
(function () {
  "use strict";
  function start() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
