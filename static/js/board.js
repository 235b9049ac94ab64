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
        animation: 150,
        ghostClass: "board-card-ghost",
        onStart: function () { dragging = true; },
        onEnd: onDrop
      });
    });
  }

  function putBack(move) {
    if (!move || !move.item.isConnected) { return; }
    move.from.insertBefore(move.item, move.from.children[move.oldIndex] || null);
  }

  function onDrop(event) {
    dragging = false;
    var from = event.from.closest(".board-column");
    var to = event.to.closest(".board-column");
    if (from === to) { flushQueued(); return; }  // the order inside a column is by date; nothing to save
    pendingMove = { item: event.item, from: event.from, oldIndex: event.oldIndex };
    var form = byId("move-form");
    form.elements.lead.value = event.item.dataset.lead;
    form.elements.stage.value = to.dataset.stage;
    form.elements.from_stage.value = from.dataset.stage;
    form.elements.lost_reason.value = "";
    if (to.dataset.kind === "lost") {
      askLostReason();
    } else {
      window.htmx.trigger(form, "submit");
    }
  }

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
      pendingMove = null;
      flushQueued();
    }
  }

  // A refused move (400, 404) answers with a toast and the true state of both columns: show them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    if (elt && elt.id === "move-form" && (status === 400 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || elt.id !== "move-form") { return; }
    var status = event.detail.xhr.status;
    if (status !== 200 && status !== 400 && status !== 404) { putBack(pendingMove); }
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
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = byId("lost-dialog");
    if (dialog) {
      dialog.addEventListener("close", onLostDialogClose);
      dialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () { dialog.close("cancel"); });
    }
    var events = byId("board-events");
    if (events) { new MutationObserver(onBoardEvents).observe(events, { childList: true }); }
    // htmx has already processed the page by now; later content (swapped columns) arrives through onLoad.
    init(document);
    if (window.htmx) { window.htmx.onLoad(init); }
  });
})();
