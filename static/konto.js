/* Konto: the little the pages need beyond htmx. No inline scripts anywhere (strict CSP). */
(function () {
  "use strict";

  // Tell assistive technology that a region is loading while htmx fetches it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.setAttribute) { target.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    if (target && target.removeAttribute) { target.removeAttribute("aria-busy"); }
  });

  // An inline field check swaps only the message; keep the input's aria-invalid in step.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.detail.target;
    // After an outerHTML swap the target is the old, detached element: look up the new one.
    var message = box && box.id && /-error$/.test(box.id) ? document.getElementById(box.id) : null;
    if (!message) { message = document.getElementById((event.detail.elt && event.detail.elt.id || "") + "-error"); }
    if (!message || !message.id) { return; }
    var input = document.getElementById(message.id.replace(/-error$/, ""));
    if (!input) { return; }
    if (message.getAttribute("data-invalid") === "true") {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  });

  // The top bar's menu (a <details>, which works without us): Escape closes it and gives
  // focus back to its "Menu" button, as a menu button does.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target.closest && event.target.closest(".topbar-menu[open]");
    if (!menu) { return; }
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  // When the connection fails, say so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    var status = document.getElementById("sr-status");
    if (status) { status.textContent = "Brak połączenia z serwerem. Sprawdź internet i spróbuj ponownie."; }
  });
})();
