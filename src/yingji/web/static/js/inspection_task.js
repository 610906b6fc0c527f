// Carrying out an inspection task: each answer is saved as soon as it is given.
(function () {
  "use strict";
  var root = document.getElementById("inspection");
  if (!root || root.dataset.editable !== "yes") { return; }
  var taskId = root.dataset.task;
  var csrf = root.dataset.csrf;
  var base = "/api/inspection-tasks/" + encodeURIComponent(taskId);

  function say(card, text) {
    var state = card.querySelector(".save-state");
    if (state) { state.textContent = text; }
  }

  function attachments(card) {
    var raw = card.dataset.attachments || "";
    return raw ? raw.split(",") : [];
  }

  function countAnswered() {
    var n = root.querySelectorAll(".item-card[data-result]:not([data-result=''])").length;
    document.getElementById("answered").textContent = String(n);
  }

  function save(card) {
    var result = card.dataset.result;
    if (!result) { return Promise.resolve(); }
    say(card, root.dataset.msgSaving);
    card.classList.add("saving");
    var body = {
      result: result,
      note: card.querySelector(".note").value,
      attachment_ids: attachments(card)
    };
    return fetch(base + "/findings/" + encodeURIComponent(card.dataset.item), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      card.classList.remove("saving");
      if (!response.ok) { throw new Error(String(response.status)); }
      card.classList.add("saved");
      say(card, root.dataset.msgSaved);
    }).catch(function () {
      card.classList.remove("saving");
      card.classList.remove("saved");
      say(card, root.dataset.msgFailed);
    });
  }

  function choose(card, button) {
    card.dataset.result = button.dataset.value;
    card.querySelectorAll(".answer").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    countAnswered();
    save(card);
  }

  function upload(card, input) {
    var file = input.files && input.files[0];
    if (!file) { return; }
    var form = new FormData();
    form.append("file", file, file.name || "photo.jpg");
    say(card, root.dataset.msgUploading);
    fetch("/api/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
      body: form
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (meta) {
      var ids = attachments(card);
      ids.push(meta.id);
      card.dataset.attachments = ids.join(",");
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/api/attachments/" + encodeURIComponent(meta.id);
      link.textContent = meta.filename || meta.id;
      li.appendChild(link);
      card.querySelector(".photos").appendChild(li);
      input.value = "";
      if (card.dataset.result) { return save(card); }
      say(card, "");
    }).catch(function () {
      say(card, root.dataset.msgFailed);
    });
  }

  root.querySelectorAll(".item-card").forEach(function (card) {
    card.querySelectorAll(".answer").forEach(function (button) {
      button.addEventListener("click", function () { choose(card, button); });
    });
    card.querySelector(".note").addEventListener("change", function () { save(card); });
    var photo = card.querySelector(".photo");
    if (photo) {
      photo.addEventListener("change", function () { upload(card, photo); });
    }
  });

  var complete = document.getElementById("complete");
  var error = document.getElementById("complete-error");
  if (complete) {
    complete.addEventListener("click", function () {
      complete.disabled = true;
      fetch(base + "/complete", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf }
      }).then(function (response) {
        if (response.ok) { window.location.reload(); return null; }
        return response.json().then(function (body) {
          complete.disabled = false;
          error.hidden = false;
          error.textContent = root.dataset.msgMissing + " " + (body.message || "");
        });
      }).catch(function () {
        complete.disabled = false;
        error.hidden = false;
        error.textContent = root.dataset.msgFailed;
      });
    });
  }
}());
