// The agenda page: FullCalendar (month, week, day, list), the booking dialog, drag-and-drop moves checked
// by the server (a refused move snaps back with its reason), the appointment popover, the seller filter,
// the tasks layer, and live refreshes when any calendar of the company changes.
(function () {
  "use strict";

  var calendar = null;
  var dragging = false;
  var refreshTimer = null;
  var pendingRefresh = false;

  function byId(id) { return document.getElementById(id); }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (error) { return ""; }
  }

  function toast(text, kind) {
    var box = byId("messages");
    if (!box || !text) { return; }
    var item = document.createElement("div");
    item.className = "toast toast-" + (kind || "success");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.setAttribute("data-testid", kind === "error" ? "agenda-error" : "agenda-toast");
    item.textContent = text;
    var close = document.createElement("button");
    close.type = "button"; close.className = "toast-close"; close.textContent = "×";
    close.setAttribute("aria-label", "×");
    item.appendChild(close);
    box.appendChild(item);
    if (kind !== "error") { setTimeout(function () { item.remove(); }, 6000); }
  }

  // The calendar runs in the company's named time zone without a time-zone plugin ("UTC coercion"): a
  // Date's UTC fields are the company's wall-clock time, which is what the server reads.
  function wall(date) { return date ? date.toISOString().slice(0, 16) : ""; }

  function dialog() { return byId("agenda-dialog"); }

  function openDialog(url) {
    window.htmx.ajax("GET", url, { target: "#agenda-dialog-body", swap: "innerHTML" }).then(function () {
      if (!dialog().open) { dialog().showModal(); }
    });
  }

  function refresh() {
    if (!calendar) { return; }
    if (dragging) { pendingRefresh = true; return; }
    calendar.refetchEvents();
  }

  function move(info) {
    var el = byId("calendar");
    var data = new FormData();
    data.append("start", wall(info.event.start));
    if (info.event.end) { data.append("end", wall(info.event.end)); }
    var url = el.dataset.moveUrl.replace("/0/", "/" + info.event.extendedProps.pk + "/");
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
      .then(function (response) { return response.json().catch(function () { return { ok: false }; }); })
      .then(function (answer) {
        if (answer.ok) { return; }
        info.revert();
        toast(answer.error || el.dataset.unreadable, "error");
      })
      .catch(function () { info.revert(); toast(el.dataset.unreadable, "error"); });
  }

  function init() {
    var el = byId("calendar");
    if (!el || !window.FullCalendar) { return; }
    var narrow = window.matchMedia("(max-width: 720px)").matches;
    var seller = byId("seller-filter");
    var tasks = byId("tasks-layer");
    calendar = new window.FullCalendar.Calendar(el, {
      timeZone: el.dataset.timezone,
      locale: el.dataset.locale,
      initialView: narrow ? "listWeek" : "timeGridWeek",
      initialDate: el.dataset.initialDate || undefined,
      headerToolbar: narrow
        ? { left: "prev,next", center: "title", right: "timeGridDay,listWeek" }
        : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
      height: "auto",
      nowIndicator: true,
      allDaySlot: false,
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotMinTime: "07:00:00",
      slotMaxTime: "21:00:00",
      selectable: true,
      selectMirror: true,
      editable: true,
      eventDurationEditable: true,
      events: {
        url: el.dataset.eventsUrl,
        extraParams: function () {
          return { seller: seller ? seller.value : "", tasks: tasks && tasks.checked ? "1" : "" };
        }
      },
      loading: function (isLoading) { el.dataset.loading = isLoading ? "1" : "0"; },
      select: function (info) {
        calendar.unselect();
        openDialog(el.dataset.createUrl + "?start=" + encodeURIComponent(wall(info.start)));
      },
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        var props = info.event.extendedProps;
        if (props.kind === "task") { window.location.href = "/leads/" + props.lead + "/"; return; }
        openDialog(el.dataset.detailUrl.replace("/0/", "/" + props.pk + "/"));
      },
      eventDidMount: function (info) {
        info.el.setAttribute("data-event-id", info.event.id);
        if (info.event.extendedProps.actionRequired) { info.el.classList.add("agenda-action-required"); }
        if (info.event.extendedProps.syncFailed) { info.el.classList.add("agenda-sync-failed"); }
      },
      eventDragStart: function () { dragging = true; },
      eventDragStop: function () { dragging = false; },
      eventResizeStart: function () { dragging = true; },
      eventResizeStop: function () { dragging = false; },
      eventDrop: function (info) { move(info); flushLater(); },
      eventResize: function (info) { move(info); flushLater(); }
    });
    calendar.render();
    el.dataset.ready = "1";
    // Coming from a lead's page (?lead=): open the booking dialog for that lead.
    var lead = new URLSearchParams(window.location.search).get("lead");
    if (lead && /^\d+$/.test(lead)) { openDialog(el.dataset.createUrl + "?lead=" + lead); }
    if (seller) { seller.addEventListener("change", refresh); }
    if (tasks) { tasks.addEventListener("change", refresh); }
  }

  function flushLater() {
    setTimeout(function () { if (pendingRefresh) { pendingRefresh = false; refresh(); } }, 300);
  }

  function onLiveEvents(mutations) {
    var any = false;
    mutations.forEach(function (mutation) {
      Array.prototype.forEach.call(mutation.addedNodes, function (node) {
        if (node.nodeType === 1) { any = true; node.remove(); }
      });
    });
    if (!any) { return; }
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    var events = byId("agenda-events");
    if (events) { new MutationObserver(onLiveEvents).observe(events, { childList: true }); }
    var box = dialog();
    if (!box) { return; }
    box.addEventListener("click", function (event) {
      if (event.target.closest("[data-dialog-close]")) { box.close(); return; }
      var pick = event.target.closest("[data-pick-lead]");
      if (pick) {
        byId("chosen-lead").value = pick.dataset.pickLead;
        byId("lead-search").value = pick.dataset.leadName;
        byId("lead-results").innerHTML = "";
        return;
      }
      var slot = event.target.closest("[data-pick-slot]");
      if (slot) {
        var select = byId("id_slot");
        var option = document.createElement("option");
        option.value = slot.dataset.pickSlot; option.textContent = slot.textContent; option.selected = true;
        select.appendChild(option);
        window.htmx.trigger(byId("appointment-form"), "submit");
      }
    });
    box.addEventListener("input", function (event) {
      if (event.target.id === "lead-search") { byId("chosen-lead").value = ""; }
    });
  });

  // A booking or a status change succeeded (HX-Trigger: agenda:changed): close the dialog, say so,
  // and show the change (the live event refreshes other calendars).
  document.addEventListener("DOMContentLoaded", function () { document.body.addEventListener("agenda:changed", onChanged); });
  function onChanged(event) {
    var box = dialog();
    if (box && box.open) { box.close(); }
    if (event.detail && event.detail.message) { toast(event.detail.message, "success"); }
    refresh();
  }

  // The calendar says when its own live connection is up (tests wait on it before acting).
  document.addEventListener("htmx:wsOpen", function (event) {
    var elt = event.detail && event.detail.elt;
    var el = byId("calendar");
    if (el && elt && elt.id === "agenda-live") {
      // Opened again after a drop: what changed meanwhile was never heard, so the calendar reloads its range.
      if (el.dataset.live === "closed") { refresh(); }
      el.dataset.live = "open";
    }
  });
  document.addEventListener("htmx:wsClose", function (event) {
    var elt = event.detail && event.detail.elt;
    var el = byId("calendar");
    if (el && elt && elt.id === "agenda-live") { el.dataset.live = "closed"; }
  });

  // Errors of the dialog's actions (400) are shown in the dialog, not as a generic failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "agenda-dialog-body" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
