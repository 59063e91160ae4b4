// Logging an incident in admin on a practice's behalf: when the agent chooses the reporter, their name and
// number fill the incident contact, unless the agent has typed other ones. Without JavaScript the server
// fills an empty contact from the reporter (incidents.forms.IncidentAdminForm), so nothing depends on this.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.django || !window.django.jQuery) { return; }  // admin's jQuery, loaded with the autocomplete
  var filled = {};  // what this script last put in each field: only that may be replaced
  function fill(id, value) {
    var field = document.getElementById(id);
    if (!field || !value) { return; }
    if (field.value === "" || field.value === filled[id]) {
      field.value = value;
      filled[id] = value;
    }
  }
  // Select2 (admin's autocomplete) reports the choice, with what ReporterContactsView sent, as a jQuery event.
  window.django.jQuery(document).on("select2:select", "#id_reporter", function (event) {
    var chosen = event.params && event.params.data;
    if (!chosen) { return; }
    fill("id_contact_name", chosen.name);
    fill("id_contact_number", chosen.phone);
  });
});
