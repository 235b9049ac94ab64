// The lead list's bulk bar: "select all on this page", the selected count, and only the field the chosen
// action needs. Without it every field shows and the server still confirms before acting.
(function () {
  "use strict";

  function bulkForm() { return document.getElementById("bulk-form"); }

  function refresh() {
    var form = bulkForm();
    if (!form) { return; }
    var boxes = form.querySelectorAll("input[name=ids]");
    var checked = form.querySelectorAll("input[name=ids]:checked").length;
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var count = form.querySelector("[data-selected-count]");
    if (count) {
      if (!count.hasAttribute("data-empty")) { count.setAttribute("data-empty", count.textContent); }
      count.textContent = checked
        ? count.getAttribute("data-template").replace("%(count)s", checked)
        : count.getAttribute("data-empty");
    }
    // All on this page chosen, more beyond it: offer "select all N matching" (reset by any other change).
    var matching = form.querySelector("[data-select-matching]");
    var allMatching = form.querySelector("[data-all-matching]");
    var pageAll = boxes.length > 0 && checked === boxes.length;
    if (allMatching && !pageAll) { allMatching.value = ""; }
    if (matching) {
      matching.hidden = !pageAll;
      matching.querySelector("[data-matching-offer]").hidden = allMatching && allMatching.value === "1";
      matching.querySelector("[data-matching-chosen]").hidden = !(allMatching && allMatching.value === "1");
    }
    // Nothing to apply until a lead is chosen (the server still refuses an empty selection).
    var apply = form.querySelector(".bulk-bar button[type=submit]");
    if (apply) { apply.disabled = checked === 0; }
    var action = form.querySelector("select[name=action]");
    form.querySelectorAll("[data-bulk-field]").forEach(function (field) {
      field.hidden = !action || field.getAttribute("data-bulk-field").split(" ").indexOf(action.value) < 0;
    });
  }

  document.addEventListener("change", function (event) {
    var form = bulkForm();
    if (!form || !form.contains(event.target)) { return; }
    if (event.target.matches("[data-select-all]")) {
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = event.target.checked; });
    }
    refresh();
  });

  document.addEventListener("click", function (event) {
    var form = bulkForm();
    var on = event.target.closest("[data-select-matching-on]");
    var off = event.target.closest("[data-select-matching-off]");
    if (form && (on || off)) {
      form.querySelector("[data-all-matching]").value = on ? "1" : "";
      refresh();
      return;
    }
    var cancel = event.target.closest("[data-bulk-cancel]");
    var dialog = document.getElementById("bulk-dialog");
    if (cancel && dialog && dialog.contains(cancel)) {
      event.preventDefault();
      dialog.innerHTML = "";
    }
  });

  // Filters left empty stay out of the URL, so a shared or bookmarked link shows only what was chosen.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "lead-filters") { return; }
    var params = event.detail.parameters;  // FormData-like in htmx 2
    Array.from(params.keys()).forEach(function (name) {
      if (params.getAll(name).every(function (value) { return value === ""; })) { params.delete(name); }
    });
  });

  // On a phone the filters fold behind one button (the search box stays): it opens and closes them.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filters-toggle]");
    if (!toggle) { return; }
    var filters = document.getElementById("lead-filters");
    var open = !filters.classList.contains("is-open");
    filters.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
})();
