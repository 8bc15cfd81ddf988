(function () {
  "use strict";
  var text = document.getElementById("f-text"), outcome = document.getElementById("f-outcome"),
      flavor = document.getElementById("f-flavor"), misses = document.getElementById("f-misses"),
      count = document.getElementById("f-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#jobs-table tbody tr"));
  function apply() {
    var words = text.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset, ok = (!outcome.value || d.outcome === outcome.value) &&
          (!flavor.value || d.flavor === flavor.value) && (!misses.checked || d.miss === "yes") &&
          words.every(function (w) { return d.search.indexOf(w) >= 0; });
      row.hidden = !ok;
      var job = document.getElementById("job-" + d.index);
      if (job) job.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown === rows.length ? rows.length + " jobs" : shown + " of " + rows.length + " jobs";
  }
  [text, outcome, flavor, misses].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  function openJob(id, scroll) {
    var el = id && document.getElementById(id);
    if (!el || el.tagName !== "DETAILS") return;
    el.hidden = false;
    el.open = true;
    if (scroll) el.scrollIntoView();
  }
  rows.forEach(function (row) {
    row.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      var id = "job-" + row.dataset.index;
      if (location.hash === "#" + id) openJob(id, true); else location.hash = id;
    });
  });
  function fromHash() { openJob(decodeURIComponent(location.hash.slice(1)), true); }
  window.addEventListener("hashchange", fromHash);
  document.getElementById("expand-all").addEventListener("click", function () {
    document.querySelectorAll("details.job:not([hidden])").forEach(function (d) { d.open = true; });
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    document.querySelectorAll("details.job").forEach(function (d) { d.open = false; });
  });
  apply();
  fromHash();
})();
