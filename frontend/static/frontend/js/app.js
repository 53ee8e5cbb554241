/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  // Close the suggestion list with Escape and keep focus in the search box.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var list = document.getElementById("suggestions");
    if (list) list.innerHTML = "";
  });
  // Choosing a suggestion fills the box and submits the plain GET form.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-suggest]");
    if (!btn) return;
    var input = document.getElementById("q");
    if (input) {
      input.value = btn.getAttribute("data-suggest");
      input.form.submit();
    }
  });
  // Hide "apply" buttons that htmx makes unnecessary (filters update on change).
  if (window.htmx) {
    document.documentElement.classList.add("js");
  }
  // Print buttons on packing slips and invoices.
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });
})();
