// Clicking a mark finds its line in the log; the box filters the log's rows.
(function () {
  var last = null;
  document.getElementById("timeline").addEventListener("click", function (e) {
    var el = e.target.closest("[data-line]");
    if (!el) return;
    var row = document.getElementById("l" + el.getAttribute("data-line"));
    if (!row) return;
    if (last) last.classList.remove("hit");
    row.classList.add("hit");
    row.style.display = "";
    row.scrollIntoView({ block: "center" });
    last = row;
  });
  var rows = document.querySelectorAll("#log tbody tr");
  document.getElementById("filter").addEventListener("input", function (e) {
    var q = e.target.value.toLowerCase();
    rows.forEach(function (r) {
      r.style.display = !q || r.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
    });
  });
})();
