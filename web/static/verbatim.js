// Verbatim: small enhancements only; every page works without this file.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function hitSections() {
    return Array.prototype.slice.call(document.querySelectorAll(".turn.has-hit"));
  }

  // n / p: next / previous hit in a transcript, starting from the turn in the address bar.
  function jumpHit(step) {
    var hits = hitSections();
    if (!hits.length) return false;
    var current = hits.findIndex(function (el) { return "#" + el.id === location.hash; });
    var next = current === -1 ? (step > 0 ? 0 : hits.length - 1) : current + step;
    if (next < 0 || next >= hits.length) return false;
    location.hash = hits[next].id;
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var box = document.getElementById("q");
    if (event.key === "Escape" && event.target === box) {
      box.blur();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "/" && box) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if ((event.key === "n" || event.key === "p") && jumpHit(event.key === "n" ? 1 : -1)) {
      event.preventDefault();
    }
  });

  // Filter boxes: the speaker facet's values and the list of people narrow as one types.
  function narrow(input, items) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    items.forEach(function (item) {
      var text = (item.getAttribute("data-names") || item.textContent).toLowerCase();
      item.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-facet]"), function (input) {
    var section = input.closest(".facet");
    var items = Array.prototype.slice.call(section.querySelectorAll(".facet-values li"));
    input.addEventListener("input", function () {
      var more = section.querySelector("details.facet-more");
      if (more && input.value) more.open = true;
      narrow(input, items);
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-list]"), function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("li"));
    input.addEventListener("input", function () {
      narrow(input, items);
      Array.prototype.forEach.call(list.querySelectorAll(".letter-group"), function (group) {
        group.hidden = !group.querySelector("li:not([hidden])");
      });
    });
  });

  // Phones: start with the filter panel folded so results come first.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 44rem)").matches) {
    filters.open = false;
  }
})();
