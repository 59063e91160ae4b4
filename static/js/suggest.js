// The log form's "Is it one of these?" (issue 19): as the practice types the summary, help articles (and
// later known issues) that seem to match are fetched from #suggestions' data-suggest-url, an HTML
// fragment (knowledge.views.suggestions), and shown just after the summary field. Each offer is a button
// of the form #suggestion-open, outside the log form (forms do not nest): it records the opening and
// goes on to the article in this tab; form_draft.js keeps what was typed for the way back.
// Without this script the log form is as it was: #suggestions stays empty.
(function () {
  "use strict";
  var box = document.getElementById("suggestions");
  var form = document.querySelector("form[data-draft-key]");
  var summary = form && form.elements.summary;
  if (!box || !summary || !window.fetch) { return; }
  var url = box.getAttribute("data-suggest-url");
  var wait = 400;
  var shortest = 3;
  var timer = null;
  var asked = "";  // the last summary looked up, so that the same text is not asked twice
  var latest = 0;  // answers that come back out of order are dropped

  // Just after the summary's own wrapper (its label, help text and errors), still inside the log form:
  // the box holds buttons only, which belong to #suggestion-open by their form attribute.
  var wrapper = summary.closest(".mb-3") || summary.parentNode;
  wrapper.parentNode.insertBefore(box, wrapper.nextSibling);

  function show(html) {
    box.innerHTML = html;  // the server's own fragment, every text in it escaped by the template
  }

  function lookUp() {
    var text = summary.value.trim();
    if (text.length < shortest) { asked = ""; show(""); return; }
    if (text === asked) { return; }
    asked = text;
    var mine = ++latest;
    fetch(url + "?" + new URLSearchParams({ summary: text }).toString(), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (mine !== latest) { return null; }
      if (response.status === 204 || !response.ok) { show(""); return null; }
      return response.text();
    }).then(function (html) {
      if (html !== null && mine === latest) { show(html); }
    }).catch(function () { /* offline or signed out: the form works without offers */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, wait);
  }

  summary.addEventListener("input", later);
  summary.addEventListener("change", later);  // a draft restored by form_draft.js
  if (summary.value.trim().length >= shortest) { later(); }  // a refused form, or the way back
})();
