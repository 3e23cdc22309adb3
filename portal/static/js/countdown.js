/* Ticks the countdowns the server rendered ([data-closes] holds the ISO deadline); without JavaScript they show
   the time left at page load. A static file, not an inline script: the Content-Security-Policy allows no inline
   script (docs/security.md). */
(function () {
  "use strict";
  function start() {
    var items = document.querySelectorAll("[data-closes]");
    if (!items.length) return;
    function tick() {
      var now = Date.now();
      for (var i = 0; i < items.length; i++) {
        var s = Math.max(0, Math.floor((Date.parse(items[i].getAttribute("data-closes")) - now) / 1000));
        var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
        items[i].textContent = s ? (d ? d + " 天 " + h + " 小时" : h + " 小时 " + m + " 分") : "已截止";
      }
    }
    tick();
    setInterval(tick, 30000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
