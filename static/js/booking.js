// The public booking page shows times in the visitor's own time zone: the first visit adds it to the URL.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var page = document.querySelector("[data-zone-param]");
    if (!page || !window.Intl) { return; }
    var params = new URLSearchParams(window.location.search);
    if (params.has("tz")) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) { return; }
    params.set("tz", zone);
    window.location.replace(window.location.pathname + "?" + params.toString());
  });
})();
