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

  // "Cite": the citation text is always visible in the open <details>; with this script,
  // Copy buttons put it on the clipboard (execCommand where the Clipboard API is unavailable,
  // e.g. plain http on another host).
  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(legacyCopy(text)); });
    } else {
      done(legacyCopy(text));
    }
  }

  function legacyCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var status = button.closest(".cite-body") && button.closest(".cite-body").querySelector(".copy-status");
      var label = button.textContent;
      copyText(source.textContent.trim(), function (ok) {
        button.textContent = ok ? "Copied" : "Select and copy the text";
        if (status) status.textContent = ok ? "Citation copied" : "Could not copy: select the text";
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  // After a filter choice the page reloads: put focus (and the scroll position) back on the
  // control the user chose, instead of the top of the page.
  var FOCUS_KEY = "verbatim-focus";
  function remember(key) {
    try {
      sessionStorage.setItem(FOCUS_KEY, JSON.stringify({ key: key, y: window.scrollY }));
    } catch (e) { /* storage disabled: focus starts at the top, as without this script */ }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-focus-key]");
    if (link) remember(link.getAttribute("data-focus-key"));
  });
  var form = document.getElementById("search-form");
  if (form) {
    form.addEventListener("submit", function () {
      var active = document.activeElement;
      var key = active && active.getAttribute && active.getAttribute("data-focus-key");
      if (key) remember(key);
    });
  }
  (function restore() {
    var saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
      sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { return; }
    if (!saved || !saved.key) return;
    var target = Array.prototype.find.call(document.querySelectorAll("[data-focus-key]"), function (el) {
      return el.getAttribute("data-focus-key") === saved.key;
    }) || document.getElementById("results");
    if (!target) return;
    window.scrollTo(0, saved.y || 0);
    target.focus({ preventScroll: true });
  })();

  // Phones: start with the filter panel folded so results come first.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 44rem)").matches) {
    filters.open = false;
  }
})();
