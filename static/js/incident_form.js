// Show the "please telephone" notice as soon as severity 1 is chosen. Without JavaScript the server
// shows it after submission instead, so nothing depends on this script.
(function () {
  "use strict";
  var notice = document.getElementById("severity-one-notice");
  if (!notice) { return; }
  var radios = document.querySelectorAll('input[name="severity"]');
  function update() {
    var chosen = document.querySelector('input[name="severity"]:checked');
    notice.classList.toggle("d-none", !(chosen && chosen.value === "1"));
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
