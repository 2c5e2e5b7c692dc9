// weft's web UI: the few things a server-rendered page cannot do alone. No inline
// script anywhere (the content security policy forbids it); htmx does the fetching.
(function () {
  "use strict";
  // Errors, for the browser tests and for people with a console open.
  window.__weftErrors = [];
  window.addEventListener("error", function (e) { window.__weftErrors.push(String(e.message)); });

  // Destructive forms ask first.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { e.preventDefault(); return; }
    // JSON fields are checked before they leave the browser.
    var fields = form.querySelectorAll("textarea[data-json]");
    for (var i = 0; i < fields.length; i++) {
      var text = fields[i].value.trim();
      if (text === "") { continue; }
      try { JSON.parse(text); fields[i].setCustomValidity(""); } catch (err) {
        fields[i].setCustomValidity("not valid JSON: " + err.message);
        fields[i].reportValidity();
        e.preventDefault();
        return;
      }
    }
  }, true);
  document.addEventListener("input", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-json")) { e.target.setCustomValidity(""); }
  });

  // Polling (hx-trigger="every …" on elements marked data-poll): never while the tab is
  // hidden, and on the list only while "auto-refresh" is ticked.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (!el.hasAttribute || !el.hasAttribute("data-poll")) { return; }
    var toggle = document.getElementById("auto-refresh");
    if (document.hidden || (el.getAttribute("data-poll") === "opt-in" && !(toggle && toggle.checked))) {
      e.preventDefault();
    }
  });
  // The auto-refresh choice is remembered.
  document.addEventListener("change", function (e) {
    if (e.target.id === "auto-refresh") { localStorage.setItem("weft.autoRefresh", e.target.checked ? "1" : ""); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("auto-refresh");
    if (toggle) { toggle.checked = localStorage.getItem("weft.autoRefresh") === "1"; }
    window.__loadId = Math.random();
  });
})();
