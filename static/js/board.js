// The pipeline board and the stage settings page: drag and drop (SortableJS), the lost-reason dialog,
// live column refreshes, and stage reordering. The pages still work without it: cards link to the lead,
// whose page changes the stage; stages move with their up/down buttons.
(function () {
  "use strict";

  var dragging = false;
  var pendingMove = null;   // {item, from, oldIndex} while a move waits for its reason or its answer
  var queuedStages = {};    // live events that arrived while dragging
  var refreshTimer = null;

  function byId(id) { return document.getElementById(id); }

  // --- Drag and drop -------------------------------------------------------------------------------

  function initBoardColumns(root) {
    if (!window.Sortable) { return; }
    var lists = root.matches && root.matches(".board-cards") ? [root] : root.querySelectorAll(".board-cards");
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: "pipeline",
        draggable: ".board-card",
        filter: ".board-card-menu",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "board-card-ghost",
        scroll: false,  // the board scrolls itself at the window's edges (autoScroll below)
        onStart: startDrag,
        onEnd: onDrop
      });
    });
  }

  // The drop zones of the closed stages (fixed at the bottom of the window, shown while dragging).
  function initDropzones() {
    if (!window.Sortable) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".board-dropzone"), function (zone) {
      if (zone.dataset.sortable) { return; }
      zone.dataset.sortable = "1";
      window.Sortable.create(zone, { group: { name: "pipeline", pull: false, put: true }, draggable: ".board-card" });
    });
  }

  function startDrag() {
    dragging = true;
    document.body.classList.add("board-dragging");
    // Capture: SortableJS stops dragover from bubbling out of its lists.
    document.addEventListener("dragover", autoScroll, true);
    document.addEventListener("drag", autoScroll, true);
    document.addEventListener("pointermove", autoScroll, true);
    document.addEventListener("touchmove", autoScroll, { capture: true, passive: true });
  }

  function stopDrag() {
    dragging = false;
    document.body.classList.remove("board-dragging");
    document.removeEventListener("dragover", autoScroll, true);
    document.removeEventListener("drag", autoScroll, true);
    document.removeEventListener("pointermove", autoScroll, true);
    document.removeEventListener("touchmove", autoScroll, { capture: true });
    cancelAnimationFrame(scrollFrame);
    scrollFrame = null;
    scrollSpeed = 0;
  }

  // Near the left or right edge of the window (or of the board), the board scrolls towards it.
  var EDGE = 80;
  var scrollSpeed = 0;
  var scrollFrame = null;
  function autoScroll(event) {
    var board = byId("board");
    var point = event.touches ? event.touches[0] : event;
    // The last "drag" event of a native drag reports (0, 0): not a position.
    if (!board || !point || (point.clientX === 0 && point.clientY === 0)) { return; }
    var box = board.getBoundingClientRect();
    var right = Math.min(box.right, window.innerWidth);
    var left = Math.max(box.left, 0);
    var x = point.clientX;
    scrollSpeed = x > right - EDGE ? Math.ceil((x - (right - EDGE)) / 4) : x < left + EDGE ? -Math.ceil((left + EDGE - x) / 4) : 0;
    if (scrollSpeed && !scrollFrame) { scrollFrame = requestAnimationFrame(scrollStep); }
  }
  function scrollStep() {
    var board = byId("board");
    scrollFrame = null;
    if (!dragging || !board || !scrollSpeed) { return; }
    board.scrollLeft += scrollSpeed;
    scrollFrame = requestAnimationFrame(scrollStep);
  }

  function putBack(move) {
    if (!move || !move.item || !move.item.isConnected) { return; }
    if (move.from) {
      move.from.insertBefore(move.item, move.from.children[move.oldIndex] || null);
    }
  }

  // A card dropped on a zone waits there for the answer, which re-renders its real column.
  function clearDropzones() {
    Array.prototype.forEach.call(document.querySelectorAll(".board-dropzone .board-card"), function (card) {
      card.remove();
    });
  }

  function onDrop(event) {
    stopDrag();
    var from = event.from.closest(".board-column");
    var zone = event.to.classList.contains("board-dropzone") ? event.to : null;
    var to = zone || event.to.closest(".board-column");
    if (from === to) { flushQueued(); return; }  // the order inside a column is by date; nothing to save
    pendingMove = { item: event.item, from: event.from, oldIndex: event.oldIndex };
    submitMove(event.item.dataset.lead, to.dataset.stage, from.dataset.stage, to.dataset.kind);
  }

  function submitMove(lead, stage, fromStage, kind) {
    var form = byId("move-form");
    form.elements.lead.value = lead;
    form.elements.stage.value = stage;
    form.elements.from_stage.value = fromStage || "";
    form.elements.lost_reason.value = "";
    if (kind === "lost") {
      askLostReason();
    } else {
      window.htmx.trigger(form, "submit");
    }
  }

  // --- The "Move to" menu of a card (phones, keyboards) ---------------------------------------------

  var menuCard = null;
  function openMoveMenu(card) {
    var dialog = byId("move-dialog");
    if (!dialog) { return; }
    menuCard = card;
    var column = card.closest(".board-column");
    var name = card.querySelector(".board-card-name");
    dialog.querySelector("[data-move-name]").textContent = name ? name.textContent : "";
    Array.prototype.forEach.call(dialog.querySelectorAll(".move-choice"), function (choice) {
      choice.disabled = column && choice.dataset.stage === column.dataset.stage;
    });
    dialog.returnValue = "";
    dialog.showModal();
  }

  function onMoveDialogClose() {
    var dialog = byId("move-dialog");
    var card = menuCard;
    menuCard = null;
    if (!card || !dialog.returnValue || dialog.returnValue === "cancel") { return; }
    var choice = dialog.querySelector('.move-choice[data-stage="' + dialog.returnValue + '"]');
    var column = card.closest(".board-column");
    pendingMove = { item: null };
    submitMove(card.dataset.lead, dialog.returnValue, column ? column.dataset.stage : "", choice ? choice.dataset.kind : "");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-move-menu]");
    if (button) {
      event.preventDefault();
      openMoveMenu(button.closest(".board-card"));
    }
  });

  // --- Tabs on a phone: one stage at a time -----------------------------------------------------------

  var currentStage = null;
  function showStage(stageId) {
    var board = byId("board");
    if (!board) { return; }
    var columns = board.querySelectorAll(".board-column");
    if (!columns.length) { return; }
    if (!stageId || !byId("column-" + stageId)) { stageId = columns[0].dataset.stage; }
    currentStage = stageId;
    Array.prototype.forEach.call(columns, function (column) {
      column.classList.toggle("is-current", column.dataset.stage === stageId);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".board-tab"), function (tab) {
      var current = tab.dataset.tabStage === stageId;
      tab.classList.toggle("is-current", current);
      tab.setAttribute("aria-pressed", current ? "true" : "false");
      var column = byId("column-" + tab.dataset.tabStage);
      var count = column && column.querySelector(".board-count");
      if (count) { tab.querySelector(".board-tab-count").textContent = count.textContent; }
    });
    board.classList.add("board-tabbed");
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest(".board-tab");
    if (tab) { showStage(tab.dataset.tabStage); }
  });

  // Only the latest move offers an undo: a new one replaces the toast instead of stacking.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    if (fragment && fragment.querySelector && fragment.querySelector("#undo-toast")) {
      var old = byId("undo-toast");
      if (old) { old.remove(); }
    }
  });

  function askLostReason() {
    var dialog = byId("lost-dialog");
    var reason = byId("lost-reason");
    reason.value = "";
    dialog.returnValue = "";
    dialog.showModal();
    reason.focus();
  }

  function onLostDialogClose() {
    var dialog = byId("lost-dialog");
    var reason = byId("lost-reason").value.trim();
    if (dialog.returnValue === "confirm" && reason) {
      var form = byId("move-form");
      form.elements.lost_reason.value = reason;
      window.htmx.trigger(form, "submit");
    } else {
      putBack(pendingMove);
      clearDropzones();
      pendingMove = null;
      flushQueued();
    }
  }

  // A refused move (400, 404) answers with a toast and the true state of both columns: show them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    var boardAction = elt && (elt.id === "move-form" || (elt.hasAttribute && elt.hasAttribute("data-board-action")));
    if (boardAction && (status === 400 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-board-action")) {
      var toast = elt.closest(".toast");
      if (toast) { toast.remove(); }
      return;
    }
    if (!elt || elt.id !== "move-form") { return; }
    var status = event.detail.xhr.status;
    if (status !== 200 && status !== 400 && status !== 404) { putBack(pendingMove); }
    clearDropzones();
    pendingMove = null;
    flushQueued();
  });

  // --- Live refresh --------------------------------------------------------------------------------

  function filterParams() {
    var form = byId("board-filters");
    return form ? new URLSearchParams(new FormData(form)) : new URLSearchParams();
  }

  function refreshColumns(stageIds) {
    var board = byId("board");
    if (!board) { return; }
    var ids = stageIds.filter(function (id) { return byId("column-" + id); });
    if (!ids.length) { return; }
    var params = filterParams();
    params.set("stages", ids.join(","));
    window.htmx.ajax("GET", board.dataset.columnsUrl + "?" + params.toString(), { source: board, swap: "none" });
  }

  // A socket that drops (a server restart, a laptop waking up) misses the moves made meanwhile: when the
  // board's socket opens again, every column re-fetches itself once.
  var boardSocketOpens = 0;
  document.addEventListener("htmx:wsOpen", function (event) {
    if (!event.target || event.target.id !== "board-live") { return; }
    boardSocketOpens += 1;
    if (boardSocketOpens < 2) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[id^=column-]"), function (column) {
      var id = column.id.slice("column-".length);
      if (/^\d+$/.test(id)) { queuedStages[id] = true; }
    });
    flushQueued();
  });

  function flushQueued() {
    if (dragging || pendingMove) { return; }
    var ids = Object.keys(queuedStages);
    queuedStages = {};
    clearTimeout(refreshTimer);
    if (ids.length) { refreshColumns(ids); }
  }

  function onBoardEvents(mutations) {
    mutations.forEach(function (mutation) {
      Array.prototype.forEach.call(mutation.addedNodes, function (node) {
        if (node.nodeType !== 1) { return; }
        (node.dataset.stages || "").split(",").forEach(function (id) {
          if (/^\d+$/.test(id)) { queuedStages[id] = true; }
        });
        node.remove();
      });
    });
    // Several events in a burst make one request; a drag in progress is never swapped under the pointer.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(flushQueued, 150);
  }

  // --- Stage settings: drag to reorder -------------------------------------------------------------

  function initStageList(root) {
    if (!window.Sortable) { return; }
    var list = root.id === "stage-rows" ? root : root.querySelector && root.querySelector("#stage-rows");
    if (!list || list.dataset.sortable) { return; }
    list.dataset.sortable = "1";
    window.Sortable.create(list, {
      handle: ".drag-handle",
      draggable: ".stage-row",
      animation: 150,
      // Won and lost stages stay after the open ones (the server refuses it too).
      onMove: function (event) { return event.related.dataset.closed === event.dragged.dataset.closed; },
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) { return; }
        var ids = Array.prototype.map.call(list.querySelectorAll(".stage-row"), function (row) { return row.dataset.stage; });
        window.htmx.ajax("POST", list.dataset.reorderUrl, {
          source: list, target: "#stage-settings", swap: "outerHTML", values: { order: ids.join(",") }
        });
      }
    });
  }

  function init(root) {
    initBoardColumns(root);
    initStageList(root);
    if (byId("board-tabs")) { showStage(currentStage); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = byId("lost-dialog");
    if (dialog) {
      dialog.addEventListener("close", onLostDialogClose);
      dialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () { dialog.close("cancel"); });
    }
    var moveDialog = byId("move-dialog");
    if (moveDialog) {
      moveDialog.addEventListener("close", onMoveDialogClose);
      moveDialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () { moveDialog.close("cancel"); });
    }
    initDropzones();
    var events = byId("board-events");
    if (events) { new MutationObserver(onBoardEvents).observe(events, { childList: true }); }
    // htmx has already processed the page by now; later content (swapped columns) arrives through onLoad.
    init(document);
    if (window.htmx) { window.htmx.onLoad(init); }
  });
})();
