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
  // The header's menu button (phones): opens and closes the main links.
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Hide "apply" buttons that htmx makes unnecessary (filters update on change).
  if (window.htmx) {
    document.documentElement.classList.add("js");
  }
  // Checkout: show only the address fieldset of the chosen destination (without this script both
  // are shown and the radio decides), and hide cash on delivery for export, which orders refuses.
  function syncDestination(form) {
    var chosen = form.querySelector('input[name="destination"]:checked');
    if (!chosen) return;
    var domestic = chosen.value === "VN";
    form.querySelectorAll("[data-destination]").forEach(function (fs) {
      fs.hidden = fs.getAttribute("data-destination") !== chosen.value;
    });
    // Domestic-only methods (VietQR, cash on delivery) and export-only ones (international wire):
    // a choice hidden by the switch moves to the first method shown.
    var hide = domestic ? "[data-export-only]" : "[data-domestic-only]";
    var show = domestic ? "[data-domestic-only]" : "[data-export-only]";
    form.querySelectorAll(show).forEach(function (el) { el.hidden = false; });
    form.querySelectorAll(hide).forEach(function (el) {
      el.hidden = true;
      var input = el.querySelector("input");
      if (input && input.checked) {
        input.checked = false;
        var radios = form.querySelectorAll('input[name="payment_method"]');
        for (var i = 0; i < radios.length; i++) {
          if (!radios[i].closest(hide)) { radios[i].checked = true; break; }
        }
      }
    });
  }
  document.querySelectorAll("[data-destination-choice]").forEach(function (fs) {
    syncDestination(fs.form || fs.closest("form"));
  });
  document.addEventListener("change", function (e) {
    if (e.target.name === "destination" && e.target.form) syncDestination(e.target.form);
  });
  // Copy buttons (account number, transfer message): shown only when the clipboard is usable.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var source = document.querySelector(btn.getAttribute("data-copy"));
    var box = btn.closest(".qr");
    var status = box && box.querySelector("[data-copy-status]");
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (status) status.textContent = status.getAttribute("data-copied");
    });
  });
  // Search on a phone: the "Filter" button opens the filter panel above the results.
  function filterToggle() {
    var btn = document.querySelector(".filter-toggle");
    if (btn) btn.hidden = false;
  }
  filterToggle();
  document.addEventListener("click", function (e) {
    var btn = e.target.closest(".filter-toggle");
    if (!btn) return;
    var panel = document.getElementById("filters");
    var open = panel.classList.toggle("open");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // After a filter changes, htmx swaps the search area and scrolls to the results count
  // (hx-swap "show:#results-count:top"); the new area needs its "Filter" button shown again.
  document.addEventListener("htmx:afterSettle", filterToggle);
  // Print buttons on packing slips and invoices.
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });
})();
