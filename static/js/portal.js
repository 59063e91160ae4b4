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
  // Drafts of forms (static/js/form_draft.js) go on signing out, all of them: practice PCs are shared.
  // Once the server confirms a form was sent, its message names that form's draft ("draft-sent <key>"),
  // and only that one goes; the user's drafts of other forms stay. A message naming none clears all.
  function clearDrafts(only) {
    if (!window.sessionStorage) { return; }
    for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
      var key = window.sessionStorage.key(i);
      if (key && key.indexOf("sd-draft:") === 0 && (!only.length || only.indexOf(key.slice(9)) !== -1)) {
        window.sessionStorage.removeItem(key);
      }
    }
  }
  var sent = document.querySelector("[data-draft-sent]");
  if (sent) {
    clearDrafts(sent.getAttribute("data-draft-sent").split(/\s+/).filter(function (word) {
      return word && word !== "draft-sent";
    }));
  }
  document.querySelectorAll('form[action$="/logout/"]').forEach(function (form) {
    form.addEventListener("submit", function () { clearDrafts([]); });
  });
})();
