// The inbox: live list refresh, one bubble per message, scroll, older messages, timers, quick replies.
(function () {
  "use strict";

  function inbox() { return document.querySelector("[data-testid=inbox]"); }

  function thread() { return document.querySelector(".chat-thread"); }

  function scrollToEnd(force) {
    var box = thread();
    if (!box) { return; }
    if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 200) { box.scrollTop = box.scrollHeight; }
  }

  // A message can arrive twice (the send answer and the live event): keep the newest bubble only.
  function dedupe() {
    var seen = {};
    var bubbles = Array.prototype.slice.call(document.querySelectorAll(".bubble[id]")).reverse();
    bubbles.forEach(function (bubble) {
      if (seen[bubble.id]) { bubble.remove(); } else { seen[bubble.id] = true; }
    });
  }

  var refreshTimer = null;
  function refreshList() {
    var root = inbox();
    var form = document.getElementById("chats-filters");
    if (!root || !form || !window.htmx) { return; }
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      var params = new URLSearchParams(new FormData(form));
      params.set("partial", "list");
      if (root.dataset.open) { params.set("open", root.dataset.open); }
      window.htmx.ajax("GET", root.dataset.listUrl + "?" + params.toString(), { target: "#conversation-list", swap: "outerHTML" });
    }, 150);
  }

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var end = Date.parse(node.getAttribute("data-countdown"));
      if (isNaN(end)) { return; }
      var left = Math.max(0, Math.floor((end - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      node.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    });
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    dedupe();
    scrollToEnd(false);
    refreshList();
    tick();
    document.body.dataset.chatsEvents = String(Number(document.body.dataset.chatsEvents || 0) + 1);
  });

  // A page renders before its socket opens, and a socket can drop: whatever was published meanwhile is
  // fetched when the inbox's socket (re)connects. The open conversation re-reads its last bubbles and
  // anything newer (current ticks included; dedupe keeps the fresh copies), the list re-fetches itself.
  var CATCH_UP_TAIL = 20;
  function catchUp() {
    var box = thread();
    if (!box || !window.htmx || !box.dataset.catchUpUrl) { return; }
    var bubbles = box.querySelectorAll(".bubble[data-message]");
    if (!bubbles.length) { return; }
    var anchor = bubbles[Math.max(0, bubbles.length - CATCH_UP_TAIL)].getAttribute("data-message");
    window.htmx.ajax("GET", box.dataset.catchUpUrl + "?from=" + encodeURIComponent(anchor), {
      target: box.dataset.catchUpTarget, swap: "beforeend",
    }).then(function () {
      document.body.dataset.chatsCaughtUp = String(Number(document.body.dataset.chatsCaughtUp || 0) + 1);
    });
  }

  document.addEventListener("htmx:wsOpen", function (event) {
    if (!event.target || event.target.id !== "chats-live") { return; }
    catchUp();
    refreshList();
  });

  // A status can outrun its bubble: the worker may send a message and announce "sent" before the answer
  // that puts the "queued" bubble on the page arrives. A live bubble whose element is not there yet is
  // kept, and replaces the bubble once it appears, so a tick never stays behind.
  var early = {};
  document.addEventListener("htmx:oobErrorNoTarget", function (event) {
    var content = event.detail && event.detail.content;
    if (content && content.id && /^msg-\d+$/.test(content.id)) { early[content.id] = content.cloneNode(true); }
  });
  function applyEarly() {
    Object.keys(early).forEach(function (id) {
      var bubble = document.getElementById(id);
      if (!bubble) { return; }
      var newer = early[id];
      delete early[id];
      newer.removeAttribute("hx-swap-oob");
      bubble.replaceWith(newer);
      if (window.htmx) { window.htmx.process(newer); }
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    applyEarly();
    dedupe();
    tick();
    if (event.target && event.target.id === "chat-pane") { scrollToEnd(true); }
    else if (event.target && /^chat-messages-/.test(event.target.id || "")) { scrollToEnd(false); }
  });

  document.addEventListener("chats:sent", function () {
    var form = document.getElementById("composer");
    if (form) { form.reset(); }
    var result = document.getElementById("composer-result");
    if (result) { result.innerHTML = ""; }
    setTimeout(function () { applyEarly(); dedupe(); scrollToEnd(true); }, 0);
  });

  document.addEventListener("chats:simulated", function () {
    var form = document.getElementById("simulator-form");
    if (!form) { return; }
    form.querySelector("textarea[name=text]").value = "";
    form.querySelector("input[type=file]").value = "";
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches || !event.target.matches("[data-quick-replies]")) { return; }
    var text = document.querySelector("#composer textarea[name=text]");
    if (text && event.target.value) { text.value = event.target.value; text.focus(); }
    event.target.value = "";
  });

  // Enter sends, Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || !event.target.matches || !event.target.matches("#composer textarea")) { return; }
    event.preventDefault();
    event.target.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    scrollToEnd(true);
    tick();
    setInterval(tick, 1000);
  });
})();
