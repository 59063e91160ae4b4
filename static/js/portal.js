// Shared behaviour of every portal page. Nothing here is needed for a page to work.
(function () {
  "use strict";
  // After a failed submission, take keyboard and screen-reader users straight to the list of problems.
  // Again once the page has loaded: if the address ends in a fragment (#main, after the skip link), the
  // browser moves focus to that target after this script has run.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    window.addEventListener("load", function () { summary.focus(); });
  }
  // One submission per click: a second click while the first is on its way would log the incident twice.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
  // Drafts of forms (static/js/form_draft.js) go once the server confirms the form was sent, and on
  // signing out: practice PCs are shared.
  function clearDrafts() {
    if (!window.sessionStorage) { return; }
    for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
      var key = window.sessionStorage.key(i);
      if (key && key.indexOf("sd-draft:") === 0) { window.sessionStorage.removeItem(key); }
    }
  }
  if (document.querySelector("[data-draft-sent]")) { clearDrafts(); }
  document.querySelectorAll('form[action$="/logout/"]').forEach(function (form) {
    form.addEventListener("submit", clearDrafts);
  });
})();
