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

  // Phones: start with the filter panel folded so results come first.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 44rem)").matches) {
    filters.open = false;
  }
})();
