// Public report form: "use my location" fills latitude and longitude; the identity fields
// show only for a named report.
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          document.getElementById("lat").value = position.coords.latitude.toFixed(6);
          document.getElementById("lon").value = position.coords.longitude.toFixed(6);
          if (status) { status.textContent = "✓"; }
        },
        function () {
          if (status) { status.textContent = "×"; }
        },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  }
  var anonymous = document.getElementById("anonymous");
  var identity = document.getElementById("identity");
  function sync() {
    if (anonymous && identity) { identity.hidden = anonymous.checked; }
  }
  if (anonymous) { anonymous.addEventListener("change", sync); sync(); }
})();
