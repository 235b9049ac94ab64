// The hand-off page (templates/tenants/handoff.html): posts its one-use token at once, from this host's
// own page, and takes the token out of the address bar and history. Without JavaScript, a button posts it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-handoff]");
    if (!form) { return; }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname);
    }
    form.submit();
  });
})();
