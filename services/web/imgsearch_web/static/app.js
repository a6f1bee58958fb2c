/* imgsearch: live status in the gallery, drag-and-drop uploads, local uploads in batches the server
   accepts, direct-to-S3 uploads with progress, confirmation before deleting. No framework; every
   feature also works without this file. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  // The upload page's answer names at most this many refused files (MAX_FLASHED_ERRORS in upload.py):
  // batches no bigger than this get a reason for every refusal.
  var REASONS_PER_ANSWER = 10;
  var BUSY = { pending: true, processing: true };

  /* The session's CSRF token (base.html's meta tag), sent with every request that changes something. */
  function csrfHeaders(headers) {
    var meta = document.querySelector("meta[name=csrf-token]");
    var out = headers || {};
    if (meta) out["X-CSRF-Token"] = meta.getAttribute("content");
    return out;
  }

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
      summary.textContent = rows.length ? plural(rows.length, "photo") + " chosen." : "";
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
      var plan = planBatches(form, rows);
      if (plan.refused.length || plan.batches.length > 1) {
        // More than one request can carry, or files the server would refuse: send batch by batch.
        event.preventDefault();
        uploadInBatches(form, rows, plan, summary, button, input);
        return;
      }
      // One request carries it all: the ordinary form post, and the gallery with the outcome.
      button.disabled = true;
      button.textContent = "Uploading…";
      summary.textContent = "Uploading " + plural(rows.length, "photo") + "…";
    });
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function numberAttr(element, name) {
    var value = parseFloat(element.getAttribute(name));
    return value > 0 ? value : Infinity;
  }

  /* Room a file takes in a multipart body besides its bytes: boundary and part headers. */
  function partOverhead(file) {
    return 256 + 3 * file.name.length + file.type.length;
  }

  /* Group the files (in order) into requests the server takes: at most data-max-files files (and
     REASONS_PER_ANSWER) and data-max-bytes bytes each. A file over data-max-file-bytes, or too big
     for any request, is refused here and never sent. */
  function planBatches(form, rows) {
    var maxFiles = Math.min(numberAttr(form, "data-max-files"), REASONS_PER_ANSWER);
    var maxBytes = numberAttr(form, "data-max-bytes");
    var maxFileBytes = numberAttr(form, "data-max-file-bytes");
    var budget = maxBytes - 1024; // the closing boundary and the request's own headers
    var refused = [];
    var batches = [];
    var batch = [];
    var used = 0;
    rows.forEach(function (entry) {
      var file = entry.file;
      var cost = file.size + partOverhead(file);
      if (file.size > maxFileBytes) {
        refused.push({ entry: entry, reason: "the file is " + formatSize(file.size) + ", over the " +
          formatSize(maxFileBytes) + " limit for one photo; not sent" });
        return;
      }
      if (cost > budget) {
        refused.push({ entry: entry, reason: "the file is " + formatSize(file.size) +
          ", too large to send in one request; not sent" });
        return;
      }
      if (batch.length && (batch.length >= maxFiles || used + cost > budget)) {
        batches.push(batch);
        batch = [];
        used = 0;
      }
      batch.push(entry);
      used += cost;
    });
    if (batch.length) batches.push(batch);
    return { refused: refused, batches: batches };
  }

  function uploadInBatches(form, rows, plan, summary, button, input) {
    var url = form.getAttribute("action");
    var added = 0;
    var unsure = 0;
    var failed = plan.refused.length;
    var done = plan.refused.length;
    button.disabled = true;
    plan.refused.forEach(function (refusal) { setState(refusal.entry, refusal.reason, "error"); });
    plan.batches.forEach(function (batch) {
      batch.forEach(function (entry) { setState(entry, "waiting", "waiting"); });
    });

    function progress() {
      summary.textContent = "Uploading: " + done + " of " + plural(rows.length, "photo") + " done…";
    }

    function finish() {
      summary.textContent = added + " of " + plural(rows.length, "photo") + " added" +
        (failed ? ", " + failed + " refused" : "") +
        (unsure ? ", " + unsure + " not known (see the gallery)." : ".") +
        (added ? " They appear in the gallery once they are processed." : "");
      if (added) {
        var link = document.createElement("a");
        link.href = form.getAttribute("data-gallery-url");
        link.textContent = "Go to the gallery";
        summary.append(" ", link);
      }
      input.value = ""; // the outcome stays listed; choosing again starts afresh
      button.disabled = false;
    }

    var chain = Promise.resolve();
    plan.batches.forEach(function (batch) {
      chain = chain.then(function () {
        progress();
        batch.forEach(function (entry) { setState(entry, "uploading…", "busy"); });
        return postBatch(url, batch).then(function (outcomes) {
          outcomes.forEach(function (outcome, n) {
            setState(batch[n], outcome.text, outcome.kind);
            if (outcome.kind === "done") added += 1;
            else if (outcome.kind === "unknown") unsure += 1;
            else failed += 1;
          });
          done += batch.length;
        });
      });
    });
    chain.then(finish, function (error) {
      summary.textContent = error.message;
      button.disabled = false;
    });
  }

  /* POST one batch the way the form does; the page the server answers with (after its redirect)
     says in its flash messages what became of each file. */
  function postBatch(url, batch) {
    var data = new FormData();
    batch.forEach(function (entry) { data.append("files", entry.file, entry.file.name); });
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: csrfHeaders() })
      .then(function (response) {
        return response.text().then(function (html) { return readOutcomes(response, html, batch); });
      })
      .catch(function () {
        return batch.map(function () { return { kind: "error", text: "network error; not sent" }; });
      });
  }

  /* The name the server reports a file by: the last part of its name, "upload" when it has none. */
  function serverName(file) {
    return file.name.replace(/\\/g, "/").split("/").pop() || "upload";
  }

  function readOutcomes(response, html, batch) {
    var page = new DOMParser().parseFromString(html, "text/html");
    function texts(selector) {
      return Array.prototype.map.call(page.querySelectorAll(selector), function (node) {
        return node.textContent.trim();
      });
    }
    if (!response.ok) {
      var problem = texts(".flash-error")[0] || "the server refused the upload (" + response.status + ")";
      return batch.map(function () { return { kind: "error", text: problem }; });
    }
    var outcomes = batch.map(function () { return null; });
    // "name: reason" for each refused file, in the order they were sent (the first few of them).
    var unexplained = [];
    var from = 0;
    var lastRefused = -1;
    texts(".flashes .flash-error").forEach(function (message) {
      for (var n = from; n < batch.length; n += 1) {
        var prefix = serverName(batch[n].file) + ": ";
        if (message.indexOf(prefix) === 0) {
          outcomes[n] = { kind: "error", text: message.slice(prefix.length) };
          from = n + 1;
          lastRefused = n;
          return;
        }
      }
      unexplained.push(message);
    });
    var addedText = texts(".flashes .flash-success").join(" ");
    var match = /(\d+) photos? added/.exec(addedText);
    var addedCount = match ? parseInt(match[1], 10) : 0;
    var rest = [];
    outcomes.forEach(function (outcome, n) { if (!outcome) rest.push(n); });
    if (!unexplained.length || addedCount === rest.length) {
      rest.forEach(function (n) { outcomes[n] = { kind: "done", text: "added" }; });
      return outcomes;
    }
    // More refusals than the page lists: the files before the last one listed were all added.
    var after = rest.filter(function (n) {
      if (n < lastRefused) {
        outcomes[n] = { kind: "done", text: "added" };
        addedCount -= 1;
        return false;
      }
      return true;
    });
    after.forEach(function (n) {
      outcomes[n] = addedCount <= 0
        ? { kind: "error", text: "refused (" + unexplained.join(" ") + ")" }
        : addedCount >= after.length
          ? { kind: "done", text: "added" }
          : { kind: "unknown", text: "added or refused: see the gallery" };
    });
    return outcomes;
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
      headers: csrfHeaders({ "Content-Type": "application/json", Accept: "application/json" }),
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
