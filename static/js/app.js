// Small behaviours shared by every page. Works without it: forms still post, links still navigate.
(function () {
  "use strict";

  // Destructive actions ask first: <form data-confirm="Are you sure?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Selects that apply at once (the language menu): <select data-submit-on-change>.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-submit-on-change]") && target.form) { target.form.submit(); }
  });

  // The phone menu: the ☰ button opens and closes it; a tap outside it or Escape closes it.
  function setSidebar(open) {
    document.body.classList.toggle("sidebar-open", open);
    var toggle = document.querySelector("[data-toggle-sidebar]");
    if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest(".toast-close");
    if (close) { close.parentElement.remove(); return; }
    if (event.target.closest("[data-toggle-sidebar]")) {
      setSidebar(!document.body.classList.contains("sidebar-open"));
    } else if (document.body.classList.contains("sidebar-open") && !event.target.closest(".sidebar")) {
      setSidebar(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("sidebar-open")) { setSidebar(false); }
  });

  // Toasts fade on their own after a while; errors and warnings stay until closed.
  function scheduleToasts(root) {
    (root || document).querySelectorAll(".toast:not(.toast-error):not(.toast-warning):not(.toast-undo)").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scheduleToasts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scheduleToasts(event.target); });

  // The page says whether its live connection is up: `<body data-ws="open">` (tests wait on it).
  // Each socket's own element says so too: `<section ws-connect=... data-ws="open">`.
  document.addEventListener("htmx:wsOpen", function (event) {
    document.body.dataset.ws = "open";
    var socket = event.target;
    if (socket && socket.dataset) { socket.dataset.ws = "open"; }
    // What the notifications socket pushed while it was down is lost: when it opens again, the bell and
    // the sidebar's badges (which the dashboard's figures mirror) are read again.
    if (socket && socket.id === "sidebar" && socket.dataset.liveUrl) {
      if (socket.dataset.wsOpened) {
        window.htmx.ajax("GET", socket.dataset.liveUrl, { source: socket, swap: "none" }).then(function () {
          document.body.dataset.liveCaughtUp = String(Number(document.body.dataset.liveCaughtUp || 0) + 1);
        });
      }
      socket.dataset.wsOpened = "1";
    }
  });
  document.addEventListener("htmx:wsClose", function () { document.body.dataset.ws = "closed"; });

  // A figure that repeats a live badge elsewhere on the page (the dashboard's pending requests and the
  // sidebar's badge): <span data-mirror="pending-count"> follows #pending-count when it is swapped.
  document.addEventListener("htmx:oobAfterSwap", function () {
    document.querySelectorAll("[data-mirror]").forEach(function (figure) {
      var source = document.getElementById(figure.getAttribute("data-mirror"));
      if (source) { figure.textContent = source.dataset.count || source.textContent; }
    });
  });

  // An invalid form answers 422 with itself re-rendered, errors included: swap it like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Server errors in htmx requests become a visible toast instead of silence.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var toast = document.createElement("div");
    toast.className = "toast toast-error";
    toast.setAttribute("role", "alert");
    // The text comes translated from the page (base.html renders it with {% translate %}).
    toast.textContent = box.getAttribute("data-error-message") || "Something went wrong. Please try again.";
    box.appendChild(toast);
  });

  // A live notification that asks for a sound (a hand-off, say) plays a short tone. Browsers allow audio
  // only after the person has interacted with the page; before that the toast alone shows.
  var audioContext = null;
  function chime() {
    try {
      audioContext = audioContext || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audioContext.createOscillator();
      var gain = audioContext.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audioContext.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audioContext.currentTime + 0.4);
      oscillator.connect(gain).connect(audioContext.destination);
      oscillator.start();
      oscillator.stop(audioContext.currentTime + 0.4);
    } catch (error) { /* no audio: the toast is enough */ }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("messages");
    if (!box || !window.MutationObserver) { return; }
    new MutationObserver(function (mutations) {
      mutations.forEach(function (mutation) {
        mutation.addedNodes.forEach(function (node) {
          if (node.nodeType !== 1) { return; }
          var toasts = node.matches(".toast") ? [node] : Array.prototype.slice.call(node.querySelectorAll(".toast"));
          toasts.forEach(function (toast) {
            if (toast.hasAttribute("data-sound")) { document.body.dataset.lastSound = toast.getAttribute("data-notification") || "1"; chime(); }
            // An undo offer stays longer: time to notice the wrong column and click.
            var life = toast.classList.contains("toast-undo") ? 15000 : 8000;
            if (!toast.classList.contains("toast-error")) { setTimeout(function () { toast.remove(); }, life); }
          });
        });
      });
    }).observe(box, { childList: true, subtree: true });
  });
})();
