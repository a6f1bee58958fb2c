/* imgsearch in the browser: a justified grid with infinite scroll that keeps its place, a lightbox
   with its own URL per photo, selecting several photos, uploads with a bar and an outcome per file
   that follow each photo until it is ready, and live status everywhere. No framework. Every page
   also works without this file: the server renders the gallery, the results and each photo, and
   every action is a form. */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var UPLOADS_AT_ONCE = 3;
  var CLOUD_UNSEEN_MS = 120000; // a cloud upload the ingest function never recorded (a duplicate)
  var NEAR_PX = 800; // the next page loads when its pager is this close to the screen
  var PREVIEW_MAX_BYTES = 8 * 1024 * 1024; // larger files are not decoded in the page for a preview
  var BUSY = { pending: true, processing: true };
  var WORDS = {
    pending: "waiting to be described",
    processing: "being described…",
    indexed: "ready to search",
    failed: "failed"
  };

  document.documentElement.classList.add("js");

  /* ---------------------------------------------------------------- small helpers */

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    if (text != null) node.textContent = text;
    return node;
  }

  function plural(n, word, many) {
    return n + " " + (n === 1 ? word : many || word + "s");
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    var mb = bytes / (1024 * 1024);
    return (mb < 10 ? mb.toFixed(1) : Math.round(mb)) + " MB";
  }

  function csrfToken() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* fetch with the session, JSON in and out, and the CSRF token on every unsafe request. */
  function api(method, url, body) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) return {};
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "The server answered " + response.status + ".");
        return data;
      });
    });
  }

  function imagesUrl() { return document.body.getAttribute("data-images-url") || "/api/images"; }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  /* A message people see for a moment and screen readers hear (the page's polite live region). */
  var toastTimer = null;
  function notify(text, kind) {
    var live = $("[data-role=announce]");
    if (live) live.textContent = text;
    var toast = $(".toast") || document.body.appendChild(el("p", { className: "toast", "aria-hidden": "true" }));
    toast.textContent = text;
    toast.setAttribute("data-kind", kind || "info");
    toast.classList.add("shown");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.classList.remove("shown"); }, 5000);
  }

  function firstLine(text) {
    var line = (text || "").split("\n").map(function (l) { return l.trim(); }).filter(Boolean)[0] || "";
    return line.charAt(0).toUpperCase() + line.slice(1);
  }

  /* ---------------------------------------------------------------- loading indicator */

  function loading(on) {
    var bar = $("[data-role=loading]");
    if (bar) bar.hidden = !on;
    if (on) document.body.setAttribute("aria-busy", "true");
    else document.body.removeAttribute("aria-busy");
  }

  function setupLoading() {
    $$("form[data-loading-form]").forEach(function (form) {
      form.addEventListener("submit", function () { loading(true); });
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".chips a, .suggestions a, .pager a, .photo-nav a");
      if (link && !event.defaultPrevented && !event.metaKey && !event.ctrlKey) loading(true);
    });
    window.addEventListener("pageshow", function () { loading(false); });
  }

  /* ---------------------------------------------------------------- live status */

  var watchers = {}; // image id -> functions called with each fresh copy of the image
  var keyWatchers = {}; // storage key -> function (cloud uploads, before their id is known)
  var polling = false;

  /* Call fn(image) with the image each time it is polled, while fn returns true (still wanted). */
  function watch(id, fn) {
    (watchers[id] = watchers[id] || []).push(fn);
    startPolling();
  }

  function watchKey(key, fn) {
    keyWatchers[key] = fn;
    startPolling();
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    setTimeout(poll, POLL_MS);
  }

  function poll() {
    var ids = Object.keys(watchers);
    var keys = Object.keys(keyWatchers);
    if (!ids.length && !keys.length) { polling = false; return; }
    var jobs = [];
    if (ids.length) {
      jobs.push(api("GET", imagesUrl() + "?ids=" + encodeURIComponent(ids.slice(0, 200).join(","))).then(function (body) {
        body.images.forEach(function (image) {
          var fns = watchers[image.id] || [];
          var keep = fns.filter(function (fn) { return fn(image); });
          if (keep.length) watchers[image.id] = keep;
          else delete watchers[image.id];
        });
        (body.missing || []).forEach(function (id) { delete watchers[id]; });
      }));
    }
    if (keys.length) {
      jobs.push(api("GET", imagesUrl() + "?keys=" + encodeURIComponent(keys.slice(0, 200).join(","))).then(function (body) {
        body.images.forEach(function (image) {
          var fn = keyWatchers[image.key];
          delete keyWatchers[image.key];
          if (fn) fn(image);
        });
        (body.missing || []).forEach(function (key) {
          var fn = keyWatchers[key];
          if (fn && fn(null) === false) delete keyWatchers[key];
        });
      }));
    }
    Promise.all(jobs).then(
      function () { setTimeout(poll, POLL_MS); },
      function () { setTimeout(poll, POLL_MS * 4); }
    );
  }

  /* A tile (in a grid) catches up with its image: status note, thumbnail once there is one. */
  function updateTile(tile, image) {
    var before = tile.getAttribute("data-status");
    tile.setAttribute("data-status", image.status);
    var note = $("[data-role=status]", tile);
    if (note) {
      note.textContent = WORDS[image.status] || image.status;
      note.className = "tile-status status-" + image.status;
      note.hidden = image.status === "indexed";
      if (image.error) note.title = image.error;
      else note.removeAttribute("title");
    }
    var placeholder = $("[data-role=placeholder]", tile);
    if (placeholder && !BUSY[image.status] && image.status !== "failed") {
      var img = el("img", { alt: firstLine(image.description) || image.filename, decoding: "async" });
      img.addEventListener("load", function () { placeholder.replaceWith(img); });
      img.src = image.thumbnail_url;
    } else {
      var existing = $("img", tile);
      if (existing && image.description) existing.alt = firstLine(image.description);
    }
    if (before !== image.status) {
      refreshCounts();
      if (BUSY[before] && !BUSY[image.status]) {
        notify(image.filename + (image.status === "indexed" ? " is ready to search." : " failed: " + (image.error || "")));
      }
    }
    return !!BUSY[image.status];
  }

  var countsTimer = null;
  function refreshCounts() {
    var counts = $("[data-role=counts]");
    if (!counts) return;
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      api("GET", document.body.getAttribute("data-library-url")).then(function (c) {
        var waiting = c.pending + c.processing;
        $("[data-count=photos]", counts).textContent = plural(c.photos, "photo");
        var w = $("[data-count=waiting]", counts);
        w.textContent = " · " + waiting + " being described";
        w.hidden = !waiting;
        var f = $("[data-count=failed]", counts);
        f.textContent = " · " + c.failed + " failed";
        f.hidden = !c.failed;
      }).catch(function () {});
    }, 300);
  }

  function watchTiles(root) {
    $$(".tile", root).forEach(function (tile) {
      if (BUSY[tile.getAttribute("data-status")]) {
        watch(tile.getAttribute("data-image-id"), function (image) { return updateTile(tile, image); });
      }
    });
  }

  /* ---------------------------------------------------------------- the grid */

  /* The server sizes tiles by a class near their aspect ratio; here each gets its exact one. */
  function shapeTiles(root) {
    $$(".tile", root).forEach(function (tile) {
      var w = parseFloat(tile.getAttribute("data-width"));
      var h = parseFloat(tile.getAttribute("data-height"));
      if (w > 0 && h > 0) tile.style.setProperty("--ar", Math.min(Math.max(w / h, 0.25), 4).toFixed(4));
    });
  }

  function tiles() { return $$("[data-photo-grid] .tile"); }

  function tileOf(id) {
    return tiles().filter(function (t) { return t.getAttribute("data-image-id") === id; })[0] || null;
  }

  /* Infinite scroll: the "Older" link of the pager loads the next page into this one. The pages
     loaded and the scroll position live in history.state, so Back returns to the same place. */
  var more = { next: null, busy: null, pages: 1 };

  function setupInfiniteScroll() {
    var grid = $("[data-photo-grid]");
    var pager = $("[data-pager]");
    if (!grid) return;
    more.next = pager && $("a[rel=next]", pager);
    if (pager) {
      var prev = $("a[rel=prev]", pager);
      if (!prev) {
        // From the first page on, one list grows: the pager becomes a "more" button.
        pager.textContent = "";
        pager.classList.add("more");
        if (more.next) {
          var button = el("button", { type: "button", className: "button" }, "Show more photos");
          button.addEventListener("click", function () { loadMore(); });
          pager.appendChild(button);
          if ("IntersectionObserver" in window) {
            new IntersectionObserver(function (entries) {
              if (entries[0].isIntersecting) loadMore();
            }, { rootMargin: NEAR_PX + "px 0px" }).observe(pager);
          }
        }
      }
    }
    restorePlace();
    var saving = null;
    window.addEventListener("scroll", function () {
      if (saving || lightbox.open) return;
      saving = setTimeout(function () { saving = null; savePlace(); }, 200);
    }, { passive: true });
  }

  function savePlace() {
    var state = Object.assign({}, history.state || {}, { pages: more.pages, scroll: window.scrollY });
    delete state.lightbox;
    history.replaceState(state, "");
  }

  function restorePlace() {
    var state = history.state;
    if (!state || state.lightbox || typeof state.scroll !== "number") return;
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    var chain = Promise.resolve();
    for (var n = 1; n < state.pages; n += 1) chain = chain.then(loadMore);
    chain.then(function () { window.scrollTo(0, state.scroll); });
  }

  function loadMore() {
    if (more.busy) return more.busy;
    if (!more.next) return Promise.resolve(false);
    var pager = $("[data-pager]");
    var button = pager && $("button", pager);
    if (button) { button.disabled = true; button.textContent = "Loading more photos…"; }
    more.busy = fetch(more.next.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("The next page did not load (" + response.status + ").");
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        appendPage(page);
        var next = $("[data-pager] a[rel=next]", page);
        more.next = next;
        more.pages += 1;
        if (!next && pager) pager.remove();
        more.busy = null;
        if (button) { button.disabled = false; button.textContent = "Show more photos"; }
        // The observer only speaks when the pager comes into reach: if it is still in reach, go on.
        if (next && pager && pager.getBoundingClientRect().top < window.innerHeight + NEAR_PX) {
          setTimeout(loadMore, 0);
        }
        return true;
      })
      .catch(function (error) {
        more.busy = null;
        if (button) { button.disabled = false; button.textContent = "Try again: show more photos"; }
        notify(error.message, "error");
        return false;
      });
    return more.busy;
  }

  function appendPage(page) {
    var grid = $("[data-photo-grid]");
    var incoming = $("[data-photo-grid]", page);
    if (!incoming) return;
    var added = [];
    if (grid.classList.contains("photo-months")) {
      $$(".month", incoming).forEach(function (month) {
        var last = $$(".month", grid).pop();
        if (last && last.getAttribute("data-month") === month.getAttribute("data-month")) {
          $$(".tile", month).forEach(function (tile) { $(".justified", last).appendChild(tile); added.push(tile); });
        } else {
          var section = document.importNode(month, true);
          grid.appendChild(section);
          added = added.concat($$(".tile", section));
        }
      });
    } else {
      $$(".tile", incoming).forEach(function (tile) {
        var copy = document.importNode(tile, true);
        grid.appendChild(copy);
        added.push(copy);
      });
    }
    added.forEach(function (tile) {
      shapeTiles(tile.parentNode);
      if (BUSY[tile.getAttribute("data-status")]) {
        watch(tile.getAttribute("data-image-id"), function (image) { return updateTile(tile, image); });
      }
    });
    selection.sync();
  }

  /* Arrow keys move between photos in the grid: left and right in reading order, up and down to
     the nearest photo in the row above or below. */
  function moveFocus(link, key) {
    var all = tiles();
    var tile = link.closest(".tile");
    var index = all.indexOf(tile);
    var target = null;
    if (key === "ArrowRight") target = all[index + 1];
    else if (key === "ArrowLeft") target = all[index - 1];
    else {
      var box = tile.getBoundingClientRect();
      var middle = box.left + box.width / 2;
      var best = Infinity;
      all.forEach(function (other) {
        var b = other.getBoundingClientRect();
        var below = key === "ArrowDown" ? b.top >= box.bottom - 2 : b.bottom <= box.top + 2;
        if (!below) return;
        var distance = Math.abs(b.top - box.top) * 4 + Math.abs(b.left + b.width / 2 - middle);
        if (distance < best) { best = distance; target = other; }
      });
    }
    if (target) {
      $(".tile-link", target).focus();
      target.scrollIntoView({ block: "nearest" });
    }
  }

  /* ---------------------------------------------------------------- confirmation */

  /* A modal question with two answers; resolves true when the person confirms. */
  function confirmAction(message, yes) {
    return new Promise(function (resolve) {
      var dialog = el("dialog", { className: "confirm-dialog", "aria-labelledby": "confirm-message" });
      var form = el("form", { method: "dialog" });
      form.appendChild(el("p", { id: "confirm-message" }, message));
      var buttons = el("div", { className: "confirm-actions" });
      var cancel = el("button", { value: "cancel", className: "button", type: "submit" }, "Cancel");
      var ok = el("button", { value: "ok", className: "button danger", type: "submit" }, yes);
      buttons.append(cancel, ok);
      form.appendChild(buttons);
      dialog.appendChild(form);
      document.body.appendChild(dialog);
      dialog.addEventListener("close", function () {
        var answer = dialog.returnValue === "ok";
        dialog.remove();
        resolve(answer);
      });
      dialog.showModal();
      cancel.focus();
    });
  }

  /* ---------------------------------------------------------------- selecting several photos */

  var selection = {
    ids: {},
    last: null,
    bar: null,
    count: function () { return Object.keys(this.ids).length; },
    set: function (tile, on) {
      var id = tile.getAttribute("data-image-id");
      var box = $(".tile-select", tile);
      if (on) this.ids[id] = true;
      else delete this.ids[id];
      if (box) box.checked = on;
      tile.classList.toggle("selected", on);
    },
    /* Select or unselect a photo (on: which, else the opposite of now); range: every photo from
       the one chosen last to this one, as the last one is. */
    toggle: function (tile, range, on) {
      if (on === undefined) on = !this.ids[tile.getAttribute("data-image-id")];
      if (range && this.last && this.last !== tile && document.contains(this.last)) {
        var all = tiles();
        var a = all.indexOf(this.last);
        var b = all.indexOf(tile);
        var from = Math.min(a, b);
        var to = Math.max(a, b);
        on = !!this.ids[this.last.getAttribute("data-image-id")];
        for (var n = from; n <= to; n += 1) this.set(all[n], on);
      } else {
        this.set(tile, on);
      }
      this.last = tile;
      this.sync();
    },
    clear: function () {
      var self = this;
      tiles().forEach(function (tile) { self.set(tile, false); });
      this.ids = {};
      this.sync();
    },
    sync: function () {
      var n = this.count();
      document.body.classList.toggle("selecting", n > 0);
      if (!this.bar) return;
      this.bar.classList.toggle("active", n > 0);
      $("[data-role=selection-count]", this.bar).textContent = n ? plural(n, "photo") + " selected" : "";
      $("[data-role=select-all]", this.bar).hidden = !n || n === tiles().length;
      $("[data-role=clear-selection]", this.bar).hidden = !n;
    }
  };

  function setupGrid() {
    if (!$("[data-photo-grid]")) return;
    // Space on a photo selects it, so the boxes need no stop of their own in the Tab order.
    $$(".tile-select").forEach(function (box) { box.checked = false; box.tabIndex = -1; });
    document.addEventListener("click", function (event) {
      var box = event.target.closest(".tile-select");
      if (box) {
        // The box has already changed when its click is dispatched.
        selection.toggle(box.closest(".tile"), event.shiftKey, box.checked);
        return;
      }
      var link = event.target.closest("[data-photo-grid] .tile-link");
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.altKey) return;
      event.preventDefault();
      if (selection.count() || event.shiftKey) selection.toggle(link.closest(".tile"), event.shiftKey);
      else lightbox.show(link.closest(".tile").getAttribute("data-image-id"), true);
    });
    document.addEventListener("keydown", function (event) {
      var link = event.target.closest && event.target.closest("[data-photo-grid] .tile-link");
      if (link && (event.key === " " || event.key === "x")) {
        event.preventDefault();
        selection.toggle(link.closest(".tile"), event.shiftKey);
      } else if (link && /^Arrow/.test(event.key) && !event.altKey) {
        event.preventDefault();
        moveFocus(link, event.key);
      } else if (event.key === "Escape" && selection.count() && !lightbox.open && !$("dialog[open]")) {
        selection.clear();
      }
    });
    var bar = $("[data-selection-bar]");
    if (bar) setupSelectionBar(bar);
  }

  function setupSelectionBar(bar) {
    selection.bar = bar;
    $("[data-role=select-all]", bar).addEventListener("click", function () {
      tiles().forEach(function (tile) { selection.set(tile, true); });
      selection.sync();
    });
    $("[data-role=clear-selection]", bar).addEventListener("click", function () { selection.clear(); });
    bar.addEventListener("submit", function (event) {
      event.preventDefault();
      var action = event.submitter ? event.submitter.value : "";
      var ids = Object.keys(selection.ids);
      if (!ids.length) { notify("Select some photos first: tick them, or press Space on one."); return; }
      if (action === "delete") {
        confirmAction("Delete " + plural(ids.length, "photo") + "? This cannot be undone.", "Delete " + plural(ids.length, "photo"))
          .then(function (yes) { if (yes) bulkDelete(bar, ids); });
      } else if (action === "redescribe") {
        bulkRedescribe(bar, ids);
      }
    });
    selection.sync();
  }

  function bulkDelete(bar, ids) {
    api("POST", bar.getAttribute("data-delete-url"), { ids: ids }).then(function (body) {
      body.deleted.forEach(function (image) { removeTile(image.id); });
      selection.clear();
      refreshCounts();
      notify("Deleted " + plural(body.deleted.length, "photo") + "." +
        (body.missing.length ? " " + plural(body.missing.length, "was", "were") + " already gone." : ""));
    }).catch(function (error) { notify(error.message, "error"); });
  }

  function bulkRedescribe(bar, ids) {
    api("POST", bar.getAttribute("data-redescribe-url"), { ids: ids }).then(function (body) {
      body.images.forEach(function (image) {
        var tile = tileOf(image.id);
        if (tile && updateTile(tile, image)) watch(image.id, function (fresh) { return updateTile(tile, fresh); });
      });
      selection.clear();
      var refused = body.refused.length ? " " + plural(body.refused.length, "photo") + " already being described." : "";
      notify("Describing " + plural(body.images.length, "photo") + " again." + refused);
    }).catch(function (error) { notify(error.message, "error"); });
  }

  function removeTile(id) {
    var tile = tileOf(id);
    if (!tile) return;
    var list = tile.parentNode;
    delete selection.ids[id];
    tile.remove();
    var month = list.closest(".month");
    if (month && !$(".tile", month)) month.remove();
  }

  /* ---------------------------------------------------------------- the lightbox */

  var lightbox = {
    open: false,
    dialog: null,
    id: null,
    title: document.title,
    neighbours: { prev: null, next: null },
    request: 0,

    build: function () {
      var d = el("dialog", { className: "lightbox", "aria-label": "Photo" });
      d.innerHTML =
        '<div class="lb-stage"><img class="lb-img" alt="">' +
        '<button type="button" class="lb-nav lb-prev" aria-label="Previous photo (←)"><span aria-hidden="true">‹</span></button>' +
        '<button type="button" class="lb-nav lb-next" aria-label="Next photo (→)"><span aria-hidden="true">›</span></button></div>' +
        '<div class="lb-info" data-role="lightbox-info"></div>' +
        '<button type="button" class="lb-close" aria-label="Close (Esc)"><span aria-hidden="true">×</span></button>';
      document.body.appendChild(d);
      var self = this;
      $(".lb-prev", d).addEventListener("click", function () { self.step(-1); });
      $(".lb-next", d).addEventListener("click", function () { self.step(1); });
      $(".lb-close", d).addEventListener("click", function () { self.close(); });
      // Esc closes the dialog natively (Chromium may not let a page cancel that); tidy up after it.
      d.addEventListener("close", function () { self.closed(); });
      d.addEventListener("keydown", function (event) {
        if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
        if (event.key === "ArrowLeft") { event.preventDefault(); self.step(-1); }
        else if (event.key === "ArrowRight") { event.preventDefault(); self.step(1); }
      });
      d.addEventListener("click", function (event) {
        if (event.target === d) { self.close(); return; } // the backdrop
        var link = event.target.closest("a[data-photo-link], .photo-nav a[rel]");
        if (link && event.button === 0 && !event.metaKey && !event.ctrlKey) {
          event.preventDefault();
          self.show(link.pathname.split("/").pop(), false);
        }
      });
      d.addEventListener("submit", function (event) { self.act(event); });
      this.dialog = d;
    },

    /* Show a photo; push says whether this opens the lightbox (a new history entry) or moves in it. */
    show: function (id, push) {
      if (!this.dialog) this.build();
      var url = "/images/" + encodeURIComponent(id);
      if (!this.open) {
        this.title = document.title;
        this.opener = document.activeElement;
        this.dialog.showModal();
        this.open = true;
        document.body.classList.add("lightbox-open");
        if (push) {
          savePlace();
          history.pushState({ lightbox: id }, "", url);
        }
        $(".lb-close", this.dialog).focus();
      } else if (push !== null) {
        history.replaceState({ lightbox: id }, "", url);
      }
      this.id = id;
      var tile = tileOf(id);
      var thumb = tile && $("img", tile);
      var img = $(".lb-img", this.dialog);
      img.removeAttribute("src");
      if (thumb) { img.src = thumb.currentSrc || thumb.src; img.alt = thumb.alt; }
      this.neighbours = { prev: null, next: null };
      this.updateButtons();
      this.load(id);
    },

    load: function (id) {
      var self = this;
      var ticket = ++this.request;
      var info = $("[data-role=lightbox-info]", this.dialog);
      info.setAttribute("aria-busy", "true");
      return fetch("/images/" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status === 404 ? "This photo is not in your library any more." : "The photo did not load (" + response.status + ").");
          return response.text();
        })
        .then(function (html) {
          if (ticket !== self.request) return;
          var page = new DOMParser().parseFromString(html, "text/html");
          var photo = $("[data-photo]", page);
          var panel = $("[data-photo-info]", page);
          if (!photo || !panel) throw new Error("You are signed out: reload the page to sign in again.");
          info.textContent = "";
          info.appendChild(document.importNode(panel, true));
          info.removeAttribute("aria-busy");
          document.title = $("title", page).textContent;
          var prev = $(".photo-nav a[rel=prev]", page);
          var next = $(".photo-nav a[rel=next]", page);
          self.neighbours = {
            prev: prev && prev.getAttribute("href").split("/").pop(),
            next: next && next.getAttribute("href").split("/").pop()
          };
          self.updateButtons();
          self.showPhoto(photo, $(".photo-stage img", page));
          var status = photo.getAttribute("data-status");
          if (BUSY[status]) self.follow(id);
        })
        .catch(function (error) {
          if (ticket !== self.request) return;
          info.removeAttribute("aria-busy");
          info.textContent = "";
          info.appendChild(el("p", { className: "flash flash-error", role: "alert" }, error.message));
        });
    },

    showPhoto: function (photo, pageImg) {
      var img = $(".lb-img", this.dialog);
      var thumb = photo.getAttribute("data-thumbnail-url");
      var original = photo.getAttribute("data-original-url");
      img.alt = pageImg ? pageImg.alt : "";
      if (!thumb) { img.removeAttribute("src"); return; }
      if (!img.getAttribute("src")) img.src = thumb;
      // The thumbnail shows at once; the original replaces it when it has arrived.
      var full = new Image();
      var id = this.id;
      full.onload = function () { if (lightbox.id === id) img.src = original; };
      full.src = original;
    },

    /* The photo before or after this one: in the grid when it is there, else the gallery's order. */
    target: function (direction) {
      var all = tiles();
      var tile = tileOf(this.id);
      if (tile) {
        var next = all[all.indexOf(tile) + direction];
        if (next) return Promise.resolve(next.getAttribute("data-image-id"));
        if (direction > 0 && more.next) {
          var self = this;
          return loadMore().then(function () {
            var after = tiles()[tiles().indexOf(tileOf(self.id)) + 1];
            return after ? after.getAttribute("data-image-id") : null;
          });
        }
        return Promise.resolve(null);
      }
      return Promise.resolve(direction < 0 ? this.neighbours.prev : this.neighbours.next);
    },

    updateButtons: function () {
      var tile = tileOf(this.id);
      var all = tiles();
      var index = tile ? all.indexOf(tile) : -1;
      var hasPrev = tile ? index > 0 : !!this.neighbours.prev;
      var hasNext = tile ? index < all.length - 1 || !!more.next : !!this.neighbours.next;
      $(".lb-prev", this.dialog).hidden = !hasPrev;
      $(".lb-next", this.dialog).hidden = !hasNext;
    },

    step: function (direction) {
      var self = this;
      this.target(direction).then(function (id) {
        if (id) {
          self.show(id, false);
          var tile = tileOf(id);
          if (tile) tile.scrollIntoView({ block: "nearest" });
        }
      });
    },

    close: function () {
      if (this.open) this.dialog.close();
    },

    closed: function () {
      if (!this.open) return;
      this.open = false;
      this.request += 1;
      document.body.classList.remove("lightbox-open");
      document.title = this.title;
      var tile = tileOf(this.id);
      var focus = tile ? $(".tile-link", tile) : this.opener;
      // Closing goes back to the grid's own entry (the lightbox's URL is one entry on top of it).
      if (history.state && history.state.lightbox) history.back();
      if (focus && document.contains(focus)) focus.focus();
    },

    /* Follow a photo being described (again) until it is done, then show what it became. */
    follow: function (id) {
      var self = this;
      watch(id, function (image) {
        var tile = tileOf(id);
        if (tile) updateTile(tile, image);
        if (BUSY[image.status]) return true;
        if (self.open && self.id === id) self.load(id);
        return false;
      });
    },

    act: function (event) {
      var form = event.target;
      var action = form.getAttribute("data-action");
      if (!action) return;
      event.preventDefault();
      var id = this.id;
      var self = this;
      var name = $(".photo-title", this.dialog).textContent;
      if (action === "delete") {
        confirmAction("Delete " + name + "? This cannot be undone.", "Delete").then(function (yes) {
          if (!yes) { $(".lb-close", self.dialog).focus(); return; }
          api("DELETE", imagesUrl() + "/" + encodeURIComponent(id)).then(function () {
            var all = tiles();
            var tile = tileOf(id);
            var index = all.indexOf(tile);
            var neighbour = all[index + 1] || all[index - 1];
            removeTile(id);
            refreshCounts();
            notify("Deleted " + name + ".");
            if (neighbour && tile) self.show(neighbour.getAttribute("data-image-id"), false);
            else self.close();
          }).catch(function (error) { notify(error.message, "error"); });
        });
        return;
      }
      api("POST", imagesUrl() + "/" + encodeURIComponent(id) + "/" + action).then(function (image) {
        var status = $("[data-role=lightbox-info] [data-role=status]", self.dialog);
        if (status) {
          status.hidden = false;
          status.textContent = WORDS[image.status];
          status.className = "photo-status status-" + image.status;
        }
        var button = $("button", form);
        if (button) button.disabled = true;
        notify(action === "redescribe" ? "Describing " + name + " again…" : "Trying " + name + " again…");
        var tile = tileOf(id);
        if (tile) updateTile(tile, image);
        if (BUSY[image.status]) self.follow(id);
        else self.load(id);
      }).catch(function (error) { notify(error.message, "error"); });
    }
  };

  window.addEventListener("popstate", function (event) {
    var state = event.state || {};
    if (state.lightbox && $("[data-photo-grid]")) {
      lightbox.show(state.lightbox, null);
    } else if (lightbox.open) {
      lightbox.close();
    }
  });

  /* ---------------------------------------------------------------- one photo's own page */

  function setupPhotoPage() {
    var photo = $("main [data-photo]");
    if (!photo) return;
    var id = photo.getAttribute("data-image-id");
    if (BUSY[photo.getAttribute("data-status")]) {
      watch(id, function (image) {
        if (BUSY[image.status]) return true;
        window.location.reload();
        return false;
      });
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey || $("dialog[open]")) return;
      var link = $('.photo-nav a[data-key="' + event.key + '"]', photo);
      if (link) { loading(true); window.location.href = link.href; }
    });
    var remove = $("form[data-action=delete]", photo);
    if (remove) {
      remove.addEventListener("submit", function (event) {
        if (remove.elements.confirm.value === "yes") return;
        event.preventDefault();
        confirmAction(remove.getAttribute("data-confirm"), "Delete").then(function (yes) {
          if (!yes) return;
          remove.elements.confirm.value = "yes";
          remove.submit();
        });
      });
    }
  }

  /* ---------------------------------------------------------------- uploads */

  function setupUpload(form) {
    var input = $("input[type=file]", form);
    var list = $("[data-file-list]", form);
    var summary = $("[data-summary]", form);
    var progress = $("[data-role=upload-progress]", form);
    var overlay = $("[data-drop-overlay]");
    var cloud = form.getAttribute("data-mode") === "cloud";
    var maxFileBytes = parseFloat(form.getAttribute("data-max-file-bytes")) || Infinity;
    var rows = [];
    var queue = [];
    var running = 0;

    function entryFor(file) {
      var row = el("li", { className: "file-row", "data-state": "waiting" });
      var preview = el("span", { className: "file-preview", "aria-hidden": "true" });
      if (/^image\//.test(file.type) && file.size <= PREVIEW_MAX_BYTES && window.URL) {
        // What was chosen, at once, from the file itself (the photo's thumbnail replaces it later).
        var local = el("img", { alt: "", decoding: "async" });
        local.addEventListener("load", function () { URL.revokeObjectURL(local.src); });
        local.addEventListener("error", function () { URL.revokeObjectURL(local.src); local.remove(); });
        local.src = URL.createObjectURL(file);
        preview.appendChild(local);
      }
      var name = el("span", { className: "file-name" }, file.name);
      var size = el("span", { className: "file-size" }, formatSize(file.size));
      var bar = el("progress", { max: "100", value: "0", "aria-label": "Uploading " + file.name });
      var state = el("span", { className: "file-state" }, "waiting to upload");
      row.append(preview, name, size, bar, state);
      list.appendChild(row);
      return { file: file, row: row, bar: bar, state: state, preview: preview, outcome: "waiting" };
    }

    /* outcome: waiting, uploading, added, duplicate, refused, or the photo's status once added. */
    function set(entry, outcome, text) {
      entry.outcome = outcome;
      entry.row.setAttribute("data-state", outcome);
      entry.state.textContent = text;
      entry.bar.hidden = outcome !== "uploading" && outcome !== "waiting";
      tally();
    }

    function link(entry, image) {
      entry.id = image.id;
      var anchor = el("a", { href: "/images/" + image.id }, entry.file.name);
      entry.row.replaceChild(anchor, entry.row.children[1]);
      anchor.className = "file-name";
    }

    function follow(entry, image) {
      link(entry, image);
      watch(image.id, function (fresh) {
        show(entry, fresh);
        return !!BUSY[fresh.status];
      });
      show(entry, image);
    }

    function show(entry, image) {
      if (image.status === "indexed" && !entry.thumbnail) {
        entry.thumbnail = el("img", { alt: "" });
        entry.thumbnail.addEventListener("load", function () {
          entry.preview.textContent = "";
          entry.preview.appendChild(entry.thumbnail);
        });
        entry.thumbnail.src = image.thumbnail_url;
      }
      if (image.status === "failed") set(entry, "failed", "couldn’t be described: " + (image.error || "unknown error"));
      else set(entry, image.status, WORDS[image.status]);
    }

    function tally() {
      var count = {};
      rows.forEach(function (entry) { count[entry.outcome] = (count[entry.outcome] || 0) + 1; });
      function n(key) { return count[key] || 0; }
      var sending = n("waiting") + n("uploading");
      var added = rows.filter(function (e) { return e.created; }).length;
      var left = n("pending") + n("processing") + n("uploaded");
      var parts = [];
      if (added) parts.push(plural(added, "photo") + " added");
      if (n("duplicate")) parts.push(n("duplicate") + " already in your library");
      if (n("refused")) parts.push(n("refused") + " refused");
      if (n("failed")) parts.push(plural(n("failed"), "photo") + " couldn’t be described");
      if (sending) parts.push(sending + " still uploading");
      var text = parts.join(", ");
      text = text.charAt(0).toUpperCase() + text.slice(1);
      if (left) text += " · " + left + " left to describe";
      else if (!sending && added) text += " · all ready to search";
      summary.textContent = text + ".";
      var done = !sending && !left;
      if (done && rows.length) {
        summary.appendChild(document.createTextNode(" "));
        summary.appendChild(el("a", { href: form.getAttribute("data-gallery-url") }, "See your photos"));
      }
    }

    function add(files) {
      files = Array.prototype.slice.call(files);
      if (!files.length) return;
      progress.hidden = false;
      var batch = files.map(function (file) {
        var entry = entryFor(file);
        rows.push(entry);
        if (file.size > maxFileBytes) {
          set(entry, "refused", "too large: " + formatSize(file.size) + ", limit " + formatSize(maxFileBytes));
        } else if (file.size === 0) {
          set(entry, "refused", "empty file");
        }
        return entry;
      }).filter(function (entry) { return entry.outcome === "waiting"; });
      tally();
      if (cloud) presign(batch);
      else { queue = queue.concat(batch); pump(); }
    }

    function pump() {
      while (running < UPLOADS_AT_ONCE && queue.length) {
        var entry = queue.shift();
        running += 1;
        var job = cloud ? sendToS3(entry) : sendHere(entry);
        job.then(function () { running -= 1; pump(); });
      }
    }

    function xhr(entry, url, data, headers) {
      return new Promise(function (resolve) {
        var request = new XMLHttpRequest();
        request.open("POST", url);
        Object.keys(headers || {}).forEach(function (name) { request.setRequestHeader(name, headers[name]); });
        set(entry, "uploading", "uploading…");
        request.upload.addEventListener("progress", function (event) {
          if (!event.lengthComputable) return;
          var percent = Math.round((event.loaded / event.total) * 100);
          entry.bar.value = percent;
          entry.state.textContent = "uploading " + percent + "%";
        });
        request.addEventListener("load", function () { resolve(request); });
        request.addEventListener("error", function () { resolve(null); });
        request.send(data);
      });
    }

    function sendHere(entry) {
      var data = new FormData();
      data.append("files", entry.file, entry.file.name);
      return xhr(entry, form.getAttribute("data-add-url"), data, {
        Accept: "application/json",
        "X-CSRF-Token": csrfToken()
      }).then(function (request) {
        if (!request) { set(entry, "refused", "not sent: the network failed"); return; }
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (ignored) { /* an HTML error page */ }
        var outcome = body.files && body.files[0];
        if (!outcome) {
          set(entry, "refused", body.error || "the server refused it (" + request.status + ")");
        } else if (!outcome.id) {
          set(entry, "refused", outcome.error || "refused");
        } else if (!outcome.created) {
          link(entry, outcome);
          set(entry, "duplicate", "already in your library");
        } else {
          entry.created = true;
          set(entry, "added", "added");
          follow(entry, outcome);
        }
      });
    }

    function presign(batch) {
      if (!batch.length) return;
      api("POST", form.getAttribute("data-presign-url"), {
        files: batch.map(function (e) { return { filename: e.file.name, size: e.file.size, type: e.file.type }; })
      }).then(function (body) {
        body.uploads.forEach(function (upload, n) {
          var entry = batch[n];
          if (upload.error) set(entry, "refused", upload.error);
          else { entry.upload = upload; queue.push(entry); }
        });
        pump();
      }).catch(function (error) {
        batch.forEach(function (entry) { set(entry, "refused", error.message); });
      });
    }

    function sendToS3(entry) {
      var data = new FormData();
      Object.keys(entry.upload.fields).forEach(function (name) { data.append(name, entry.upload.fields[name]); });
      data.append("file", entry.file);
      return xhr(entry, entry.upload.url, data).then(function (request) {
        if (!request) { set(entry, "refused", "not sent: the network failed"); return; }
        if (request.status < 200 || request.status >= 300) {
          set(entry, "refused", "refused by storage (" + request.status + ")");
          return;
        }
        entry.created = true;
        set(entry, "uploaded", "uploaded");
        var since = Date.now();
        watchKey(entry.upload.key, function (image) {
          if (image) { follow(entry, image); return false; }
          if (Date.now() - since < CLOUD_UNSEEN_MS) return true;
          entry.created = false;
          set(entry, "duplicate", "uploaded, not listed: most likely already in your library");
          return false;
        });
      });
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = ""; // choosing the same files again starts afresh
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      add(input.files);
    });

    /* The whole window is the drop zone while files are dragged over it. */
    var depth = 0;
    function hasFiles(event) {
      return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") >= 0;
    }
    window.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      overlay.hidden = false;
    });
    window.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      overlay.hidden = false;
    });
    window.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) overlay.hidden = true;
    });
    window.addEventListener("drop", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      overlay.hidden = true;
      add(event.dataTransfer.files);
    });
  }

  /* ---------------------------------------------------------------- start */

  /* Sticky month headings sit just under the header, whatever its height on this screen. */
  function trackHeader() {
    var header = $(".site-header");
    if (!header) return;
    function measure() {
      document.documentElement.style.setProperty("--header-h", header.offsetHeight + "px");
    }
    measure();
    window.addEventListener("resize", measure);
  }

  document.addEventListener("DOMContentLoaded", function () {
    trackHeader();
    setupLoading();
    shapeTiles(document);
    watchTiles(document);
    setupGrid();
    setupInfiniteScroll();
    setupPhotoPage();
    $$("form[data-upload]").forEach(setupUpload);
  });
})();
