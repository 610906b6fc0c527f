// Evidence upload on a hazard's page: send the chosen file to /api/attachments and add its id.
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  if (!form) { return; }
  var input = document.getElementById("f-file");
  var ids = document.getElementById("f-attachment_ids");
  var state = document.getElementById("upload-state");
  if (!input || !ids) { return; }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { return; }
    var body = new FormData();
    body.append("file", file, file.name || "photo.jpg");
    fetch("/api/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.dataset.csrf },
      body: body
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (meta) {
      ids.value = (ids.value ? ids.value + " " : "") + meta.id;
      input.value = "";
      if (state) { state.textContent = file.name; }
    }).catch(function () {
      if (state) { state.textContent = form.dataset.msgFailed; }
    });
  });
})();
