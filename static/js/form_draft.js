// A draft of a form (the log form, the incident page's note), kept in this tab's sessionStorage while the
// user types: it survives a reload, or a session that timed out and a sign-in again, but not a closed tab.
// portal.js clears every draft on sign-out (practice PCs are shared), and a form's draft once the server
// confirms that form was sent.
//
// The form says where its draft lives (data-draft-key, one per form and user: "incident-note:<user>:<ref>"),
// whose it is (data-draft-owner) and whether it came back fresh from the server (data-draft-fresh: only
// then is a kept draft offered back, by #draft-offer; a refused form already shows what was typed). Never
// kept: files, hidden fields (tokens, signed handles), passwords, fields marked data-draft-skip
// (remote-access details), and the NHS-number confirmation, which must be ticked anew.
(function () {
  "use strict";
  var PREFIX = "sd-draft:";
  var form = document.querySelector("form[data-draft-key]");
  var offer = document.getElementById("draft-offer");
  if (!form || !window.sessionStorage) { return; }
  var key = PREFIX + form.getAttribute("data-draft-key");
  var owner = form.getAttribute("data-draft-owner");

  function read(storageKey) {
    try { return JSON.parse(window.sessionStorage.getItem(storageKey)); } catch (e) { return null; }
  }

  // Another person's drafts (the session timed out and someone else signed in) are not theirs to see;
  // the user's own drafts of other forms (a note on another incident) stay for when they go back to them.
  for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
    var other = window.sessionStorage.key(i);
    if (other && other.indexOf(PREFIX) === 0 && other !== key && (read(other) || {}).owner !== owner) {
      window.sessionStorage.removeItem(other);
    }
  }

  function kept(field) {
    var type = (field.type || "").toLowerCase();
    return field.name && !field.disabled && type !== "file" && type !== "hidden" && type !== "password" &&
      type !== "submit" && type !== "button" && !field.hasAttribute("data-draft-skip") &&
      field.name !== "confirm_not_nhs_number" && field.name.indexOf("held_") !== 0;
  }

  function snapshot() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!kept(field)) { return; }
      var type = field.type.toLowerCase();
      if (type === "radio") {
        if (field.checked) { fields[field.name] = field.value; }
      } else if (type === "checkbox") {
        fields[field.name] = field.checked;
      } else {
        fields[field.name] = field.value;
      }
    });
    return fields;
  }

  function differs(fields) {
    return Object.keys(fields).some(function (name) {
      var field = form.elements[name];
      if (!field) { return false; }
      if (field.length !== undefined && !field.tagName) {  // a radio group
        var chosen = Array.prototype.filter.call(field, function (r) { return r.checked; })[0];
        return fields[name] !== (chosen ? chosen.value : undefined);
      }
      if (field.type === "checkbox") { return field.checked !== fields[name]; }
      return field.value !== fields[name];
    });
  }

  function restore(fields) {
    Object.keys(fields).forEach(function (name) {
      var field = form.elements[name];
      if (!field) { return; }
      if (field.length !== undefined && !field.tagName) {
        Array.prototype.forEach.call(field, function (radio) {
          if (kept(radio)) { radio.checked = radio.value === fields[name]; }
        });
        field[0].dispatchEvent(new Event("change", { bubbles: true }));
      } else if (kept(field)) {
        if (field.type === "checkbox") { field.checked = fields[name] === true; } else { field.value = fields[name]; }
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  var paused = false;
  function save() {
    if (paused) { return; }
    try {
      var value = { owner: owner, saved: Date.now(), fields: snapshot() };
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage full or refused: the form works without a draft */ }
  }

  var draft = read(key);
  var fresh = form.getAttribute("data-draft-fresh") === "true";
  if (offer && fresh && draft && draft.fields && differs(draft.fields)) {
    paused = true;  // until the user decides, typing does not overwrite the draft on offer
    var when = new Date(draft.saved);
    offer.querySelector("[data-draft-time]").textContent =
      when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    offer.hidden = false;
    // A form that is the page (the log form): bring the question into view, and focus to it, since a
    // reload keeps the scroll position. A form lower down a page of its own (the incident's note) leaves
    // the page where it opens: the offer waits beside its form (data-draft-focus="false").
    if (offer.getAttribute("data-draft-focus") !== "false") {
      if ("scrollRestoration" in window.history) { window.history.scrollRestoration = "manual"; }
      var question = offer.querySelector("[data-draft-heading]");
      var show = function () { question.focus(); offer.scrollIntoView({ block: "start" }); };
      show();
      window.addEventListener("load", function () { window.setTimeout(show, 0); });
    }
    var done = function (message) {
      paused = false;
      offer.querySelector("[data-draft-question]").hidden = true;
      var status = offer.querySelector("[data-draft-status]");
      status.textContent = message;
      status.hidden = false;
      save();
      status.focus();
    };
    offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
      restore(draft.fields);
      done(offer.getAttribute("data-draft-restored"));
    });
    offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
      window.sessionStorage.removeItem(key);
      done("The draft is discarded.");
    });
  } else if (fresh && draft) {
    window.sessionStorage.removeItem(key);  // nothing in it that the form does not show already
  }

  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
