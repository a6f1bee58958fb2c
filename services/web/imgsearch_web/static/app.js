/* imgsearch: live status in the gallery, drag-and-drop uploads, direct-to-S3 uploads with progress,
   confirmation before deleting. No framework; every feature also works without this file. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var BUSY = { pending: true, processing: true };

  function announce(text) {
    var live = document.querySelector("[data-role=announce]");
    if (live) live.textContent = text;
  }

  /* ---------------------------------------------------------------- live status */

  function pollStatuses() {
    var containers = document.querySelectorAll("[data-poll-url]");
    containers.forEach(function (container) {
      var url = container.getAttribute("data-poll-url");
      var cards = container.matches("[data-image-id]")
        ? [container]
        : Array.prototype.slice.call(container.querySelectorAll("[data-image-id]"));
      function busyCards() {
        return cards.filter(function (card) { return BUSY[card.getAttribute("data-status")]; });
      }
      function tick() {
        var busy = busyCards();
        if (!busy.length) return;
        var ids = busy.map(function (card) { return card.getAttribute("data-image-id"); });
        fetch(url + "?ids=" + encodeURIComponent(ids.join(",")), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) {
            if (body) body.images.forEach(function (image) { update(container, image); });
            setTimeout(tick, POLL_MS);
          })
          .catch(function () { setTimeout(tick, POLL_MS * 4); });
      }
      if (busyCards().length) setTimeout(tick, POLL_MS);
    });
  }

  function update(container, image) {
    var card = container.matches("[data-image-id]") && container.getAttribute("data-image-id") === image.id
      ? container
      : container.querySelector('[data-image-id="' + image.id + '"]');
    if (!card || card.getAttribute("data-status") === image.status) return;
    card.setAttribute("data-status", image.status);
    if (card.hasAttribute("data-reload-when-done") && !BUSY[image.status]) {
      window.location.reload();
      return;
    }
    var badge = card.querySelector("[data-role=status]");
    if (badge) {
      badge.textContent = image.status;
      badge.className = "badge badge-" + image.status;
    }
    var error = card.querySelector("[data-role=error]");
    if (error) {
      error.textContent = image.error || "";
      error.title = image.error || "";
      error.hidden = !image.error;
    }
    var placeholder = card.querySelector("[data-role=placeholder]");
    if (placeholder && !BUSY[image.status]) {
      var img = document.createElement("img");
      img.alt = image.filename;
      img.decoding = "async";
      img.addEventListener("load", function () {
        placeholder.replaceWith(img);
        var title = card.querySelector(".card-title");
        if (title) title.setAttribute("aria-hidden", "true");
      });
      img.addEventListener("error", function () { placeholder.lastChild.textContent = "no preview"; });
      img.src = image.thumbnail_url;
    } else if (placeholder) {
      placeholder.lastChild.textContent = image.status + "…";
    }
    announce(image.filename + " is " + image.status + (image.error ? ": " + image.error : ""));
  }

  /* ---------------------------------------------------------------- confirmation */

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  /* ---------------------------------------------------------------- uploads */

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function setupUpload(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var list = form.querySelector("[data-file-list]");
    var summary = form.querySelector("[data-summary]");
    var button = form.querySelector("[data-submit]");
    var rows = [];

    function showFiles() {
      list.textContent = "";
      rows = Array.prototype.map.call(input.files, function (file) {
        var row = document.createElement("li");
        row.className = "file-row";
        var name = document.createElement("span");
        name.className = "file-name";
        name.textContent = file.name;
        var size = document.createElement("span");
        size.className = "file-size";
        size.textContent = formatSize(file.size);
        var state = document.createElement("span");
        state.className = "file-state";
        row.append(name, size, state);
        list.appendChild(row);
        return { file: file, row: row, state: state };
      });
      summary.textContent = rows.length ? rows.length + " photo" + (rows.length === 1 ? "" : "s") + " chosen." : "";
    }

    input.addEventListener("change", showFiles);

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showFiles();
      }
    });

    form.addEventListener("submit", function (event) {
      if (!input.files.length) {
        event.preventDefault();
        summary.textContent = "Choose at least one photo first.";
        input.focus();
        return;
      }
      if (form.getAttribute("data-mode") === "cloud") {
        event.preventDefault();
        uploadToCloud(form, rows, summary, button);
        return;
      }
      button.disabled = true;
      button.textContent = "Uploading…";
      summary.textContent = "Uploading " + rows.length + " photo" + (rows.length === 1 ? "" : "s") + "…";
    });
  }

  function setState(entry, text, kind) {
    entry.state.textContent = text;
    entry.row.setAttribute("data-state", kind);
  }

  function uploadToCloud(form, rows, summary, button) {
    button.disabled = true;
    summary.textContent = "Preparing the upload…";
    var request = {
      files: rows.map(function (entry) {
        return { filename: entry.file.name, size: entry.file.size, type: entry.file.type };
      })
    };
    fetch(form.getAttribute("data-presign-url"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request)
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var uploads = body.uploads || [];
        if (!uploads.length) throw new Error(body.error || "The server refused the upload.");
        var jobs = uploads.map(function (upload, n) {
          var entry = rows[n];
          if (upload.error) {
            setState(entry, upload.error, "error");
            return Promise.resolve(false);
          }
          return postToS3(upload, entry);
        });
        return Promise.all(jobs);
      })
      .then(function (results) {
        var sent = results.filter(Boolean).length;
        summary.textContent = sent + " of " + results.length + " uploaded. " +
          (sent ? "They appear in the gallery once they are processed." : "");
        if (sent) {
          var link = document.createElement("a");
          link.href = form.getAttribute("data-gallery-url");
          link.textContent = "Go to the gallery";
          summary.append(" ", link);
        }
      })
      .catch(function (error) { summary.textContent = error.message; })
      .then(function () { button.disabled = false; });
  }

  function postToS3(upload, entry) {
    return new Promise(function (resolve) {
      var data = new FormData();
      Object.keys(upload.fields).forEach(function (name) { data.append(name, upload.fields[name]); });
      data.append("file", entry.file);
      var progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", "Uploading " + entry.file.name);
      entry.state.textContent = "";
      entry.state.appendChild(progress);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", upload.url);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var ok = xhr.status >= 200 && xhr.status < 300;
        setState(entry, ok ? "uploaded" : "refused by storage (" + xhr.status + ")", ok ? "done" : "error");
        resolve(ok);
      });
      xhr.addEventListener("error", function () {
        setState(entry, "network error", "error");
        resolve(false);
      });
      xhr.send(data);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    pollStatuses();
    confirmForms();
    document.querySelectorAll("form[data-upload]").forEach(setupUpload);
  });
})();
