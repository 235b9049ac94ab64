// A long <select data-searchable> gets a search box above it that narrows its options as you type
// (accents and case ignored; a group with no match is hidden). Without JavaScript the select works as is.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.placeholder = select.getAttribute("data-search-placeholder") || "…";
    box.setAttribute("aria-label", box.placeholder);
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = fold(box.value).split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = fold(option.textContent + " " + option.value);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        option.hidden = !match && !option.selected;
        if (match && !first) { first = option; }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (option) { return !option.hidden; });
      });
      if (first && words.length) { select.value = first.value; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-searchable]").forEach(enhance);
  });
})();
