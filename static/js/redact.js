// Black out parts of a screenshot before it leaves the browser (issue 18). Each PNG, JPEG or GIF chosen in a
// file field marked data-redact opens, one at a time, in an editor below the field: boxes are drawn with the
// mouse or a finger, or added and moved with the keyboard. "Use this image" paints the boxes into the pixels
// of a fresh canvas and puts that PNG in the field in place of the original, so neither the pixels under the
// boxes nor the original's metadata are sent. Until the person chooses, the field holds the file as chosen:
// without this script (or if the person does not use the editor) the upload goes as it was, and the server's
// own checks still apply. Other files are left alone.
// A field that also has data-redact-src is for a screenshot the server held (the redact page): the editor
// opens on that image at once, fetched from the same origin, with the boxes the server's check suggests
// (data-redact-suggest: [left, top, width, height] in the image's pixels; data-redact-size, if given, the
// [width, height] they are measured in) drawn as ordinary boxes. "Use the original" is not offered there,
// since the original would only be held again. If the image cannot be fetched the page stays as it is.
(function () {
  "use strict";
  var IMAGES = ["image/png", "image/jpeg", "image/gif"];
  var MIN_DRAWN = 4; // a smaller drag is a click: it selects the box under it

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function button(text, extra) {
    return el("button", {type: "button", class: "btn btn-sm " + (extra || "btn-outline-secondary")}, text);
  }

  function pngName(name) {
    return name.replace(/\.[^.\/\\]*$/, "") + "-redacted.png";
  }

  // The editor's heading sits one level below the page's or the section's heading before its field (the log
  // form's h1, the note form's h2), so that the page's outline has no gap. Headings inside a form's
  // sections (an h3 of help text) are not what the editor belongs to, nor those of a hidden panel.
  function headingBelow(node) {
    var level = 1;
    document.querySelectorAll("h1, h2").forEach(function (heading) {
      var shown = heading.getClientRects().length > 0; // not one of a hidden panel's
      if (shown && heading.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) {
        level = Number(heading.tagName.charAt(1));
      }
    });
    return "h" + (level + 1);
  }

  function Editor(input) {
    this.input = input;
    this.queue = [];
    this.live = el("p", {class: "visually-hidden", "aria-live": "polite", "data-redact-live": ""});
    this.build();
    var field = input.closest(".mb-3") || input.parentNode;
    field.after(this.live, this.panel);
    input.addEventListener("change", this.chosen.bind(this));
  }

  Editor.prototype.build = function () {
    var id = "redact-" + this.input.id;
    this.panel = el("section", {class: "redact-editor card mb-3", "aria-labelledby": id + "-title", hidden: ""});
    var body = el("div", {class: "card-body"});
    this.title = el(headingBelow(this.input), {class: "h5 card-title", id: id + "-title", tabindex: "-1"});
    var help = this.help = el("p", {class: "small mb-2", id: id + "-help"});
    this.canvas = el("canvas", {class: "redact-canvas", role: "img", "aria-describedby": id + "-help"});
    this.boxList = el("ul", {class: "redact-boxes list-unstyled d-flex flex-wrap gap-2 my-2",
      "aria-label": "Boxes"});
    var tools = el("div", {class: "d-flex flex-wrap gap-2 my-2"});
    this.addButton = button("Add a box");
    this.removeButton = button("Remove the selected box");
    this.undoButton = button("Undo");
    tools.append(this.addButton, this.removeButton, this.undoButton);
    var done = el("div", {class: "d-flex flex-wrap gap-2 mt-2"});
    this.useButton = button("Use this image", "btn-primary");
    this.originalButton = button("Use the original");
    this.cancelButton = button("Cancel: do not attach it");
    done.append(this.useButton, this.originalButton, this.cancelButton);
    body.append(this.title, help, this.canvas, tools, this.boxList, done);
    this.panel.append(body);
    this.addButton.addEventListener("click", this.addBox.bind(this));
    this.removeButton.addEventListener("click", this.removeSelected.bind(this));
    this.undoButton.addEventListener("click", this.undo.bind(this));
    this.useButton.addEventListener("click", this.useRedacted.bind(this));
    this.originalButton.addEventListener("click", this.finish.bind(this, "The original is attached as it was."));
    this.cancelButton.addEventListener("click", this.drop.bind(this));
    this.ownFile = document.querySelectorAll(".redact-without-script"); // the way without this script
    this.canvas.addEventListener("pointerdown", this.pointerDown.bind(this));
    this.canvas.addEventListener("pointermove", this.pointerMove.bind(this));
    this.canvas.addEventListener("pointerup", this.pointerUp.bind(this));
    this.canvas.addEventListener("pointercancel", this.pointerUp.bind(this));
  };

  Editor.prototype.say = function (text) {
    this.live.textContent = text;
  };

  var HOW = "Black out anything that could identify a patient: draw boxes over it with the mouse or a " +
    "finger, or use “Add a box” and move it with the arrow keys (Shift and the arrow keys change its size). ";

  Editor.prototype.chosen = function () {
    this.held = false;
    this.ownChoice = true; // a held image still on its way must not open over this choice
    this.queue = Array.prototype.filter.call(this.input.files, function (file) {
      return IMAGES.indexOf(file.type) !== -1;
    });
    this.next();
  };

  Editor.prototype.next = function () {
    this.file = this.queue.shift();
    if (!this.file) {
      this.panel.hidden = true;
      return;
    }
    // Decoded straight from the file: no blob: address, which the page's Content-Security-Policy refuses.
    var editor = this, file = this.file;
    createImageBitmap(file).then(function (image) {
      editor.open(image);
    }, function () {
      editor.say(file.name + " cannot be shown here; it is attached as chosen.");
      editor.next();
    });
  };

  // The held image, fetched as the person's browser would download it, then opened as a chosen file is.
  Editor.prototype.fetchHeld = function () {
    var editor = this, input = this.input, name = input.getAttribute("data-redact-name") || "screenshot.png";
    fetch(input.getAttribute("data-redact-src"), {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.blob();
    }).then(function (blob) {
      return createImageBitmap(blob).then(function (image) {
        if (editor.ownChoice) { return; }
        editor.held = true;
        editor.file = new File([blob], name, {type: blob.type});
        editor.open(image, editor.suggested(image));
      });
    }).catch(function () { /* the page stays as it is: download, black out elsewhere, choose the copy */ });
  };

  // The check's boxes, scaled to the image as decoded, 2 pixels wider each way for the edges of the letters,
  // in reading order (top to bottom, left to right) so that the list of boxes reads as the image does.
  Editor.prototype.suggested = function (image) {
    var boxes, size;
    try {
      boxes = JSON.parse(this.input.getAttribute("data-redact-suggest") || "[]");
      size = JSON.parse(this.input.getAttribute("data-redact-size") || "null");
    } catch (error) {
      return [];
    }
    var scaled = Array.isArray(size) && size[0] > 0 && size[1] > 0;
    var sx = scaled ? image.width / size[0] : 1, sy = scaled ? image.height / size[1] : 1;
    return (Array.isArray(boxes) ? boxes : []).filter(function (box) {
      return Array.isArray(box) && box.length === 4 && box.every(isFinite);
    }).map(function (box) {
      return {x: Math.floor(box[0] * sx) - 2, y: Math.floor(box[1] * sy) - 2,
        w: Math.ceil(box[2] * sx) + 4, h: Math.ceil(box[3] * sy) + 4};
    }).sort(function (a, b) { return a.y - b.y || a.x - b.x; });
  };

  Editor.prototype.open = function (image, boxes) {
    this.image = image;
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    this.boxes = boxes || [];
    this.boxes.forEach(this.clamp, this);
    this.history = [];
    this.selected = -1;
    this.step = Math.max(1, Math.round(Math.max(image.width, image.height) / 50));
    this.title.textContent = "Black out parts of " + this.file.name;
    this.help.textContent = HOW + (this.held ?
      "The boxes over what we read are drawn already. “Use this image” puts a copy with the boxes burnt in " +
      "in the field above, ready to attach in place of the held screenshot." :
      "“Use this image” sends a copy with the boxes burnt in. Until you choose, the image is sent as it is.");
    this.originalButton.hidden = this.held; // the original would only be held again
    this.cancelButton.textContent = this.held ? "Close the editor" : "Cancel: do not attach it";
    this.canvas.setAttribute("aria-label", this.file.name + ", " + image.width + " by " +
      image.height + " pixels");
    this.panel.hidden = false;
    this.ownFile.forEach(function (way) { way.hidden = this.held; }, this);
    // Opened by the page itself (held), focus stays where the reader is; opened by a choice, it moves here.
    this.changed(this.held ? null : undefined);
    if (!this.held) { this.title.focus(); }
    var count = this.boxes.length;
    this.say(this.file.name + " is open for blacking out." + (this.held && count ? " " + count + " box" +
      (count === 1 ? " is" : "es are") + " suggested over what we read; check them and add any more." : ""));
  };

  // --- the boxes -------------------------------------------------------------------------------------

  Editor.prototype.remember = function () {
    this.history.push({boxes: this.boxes.map(function (box) { return Object.assign({}, box); }),
      selected: this.selected});
  };

  Editor.prototype.addBox = function () {
    var w = this.canvas.width, h = this.canvas.height;
    var size = {w: Math.max(1, Math.round(w / 4)), h: Math.max(1, Math.round(h / 4))};
    this.remember();
    this.boxes.push({x: Math.round((w - size.w) / 2), y: Math.round((h - size.h) / 2), w: size.w, h: size.h});
    this.selected = this.boxes.length - 1;
    this.changed(true);
    this.say("Box " + this.boxes.length + " added in the middle. " + this.describe(this.selected));
  };

  Editor.prototype.removeSelected = function () {
    if (this.selected < 0) {
      this.say("No box is selected.");
      return;
    }
    this.remember();
    this.boxes.splice(this.selected, 1);
    this.say("Box " + (this.selected + 1) + " removed. " + this.boxes.length + " left.");
    this.selected = this.boxes.length - 1;
    this.changed(true);
  };

  Editor.prototype.undo = function () {
    var last = this.history.pop();
    if (!last) {
      this.say("Nothing to undo.");
      return;
    }
    this.boxes = last.boxes;
    this.selected = Math.min(last.selected, this.boxes.length - 1);
    this.changed(false);
    this.say("Undone. " + this.boxes.length + " box" + (this.boxes.length === 1 ? "" : "es") + ".");
  };

  Editor.prototype.describe = function (index) {
    var box = this.boxes[index];
    return "Box " + (index + 1) + ": from left " + box.x + ", from top " + box.y + ", " + box.w + " by " +
      box.h + " pixels.";
  };

  Editor.prototype.clamp = function (box) {
    var w = this.canvas.width, h = this.canvas.height;
    box.w = Math.min(Math.max(1, box.w), w);
    box.h = Math.min(Math.max(1, box.h), h);
    box.x = Math.min(Math.max(0, box.x), w - box.w);
    box.y = Math.min(Math.max(0, box.y), h - box.h);
  };

  // Arrow keys move the selected box, Shift and the arrow keys change its size, Delete removes it.
  Editor.prototype.key = function (index, event) {
    var moves = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      this.selected = index;
      this.removeSelected();
      return;
    }
    var move = moves[event.key];
    if (!move) { return; }
    event.preventDefault();
    this.remember();
    var box = this.boxes[index];
    if (event.shiftKey) {
      box.w += move[0] * this.step;
      box.h += move[1] * this.step;
    } else {
      box.x += move[0] * this.step;
      box.y += move[1] * this.step;
    }
    this.clamp(box);
    this.selected = index;
    this.changed(true);
    this.say(this.describe(index));
  };

  // focusSelected: true moves focus to the selected box; null leaves focus wherever it is.
  Editor.prototype.changed = function (focusSelected) {
    this.draw();
    this.boxList.replaceChildren();
    this.boxes.forEach(function (box, index) {
      var item = el("li");
      var choose = button(this.describe(index), "btn-outline-secondary redact-box");
      choose.setAttribute("aria-pressed", index === this.selected ? "true" : "false");
      choose.addEventListener("click", this.select.bind(this, index));
      choose.addEventListener("keydown", this.key.bind(this, index));
      item.append(choose);
      this.boxList.append(item);
    }, this);
    this.removeButton.disabled = this.selected < 0;
    this.undoButton.disabled = !this.history.length;
    if (focusSelected && this.selected >= 0) {
      this.boxList.children[this.selected].firstChild.focus();
    } else if (focusSelected !== null &&
        (document.activeElement === document.body || document.activeElement.disabled)) {
      this.addButton.focus(); // the focused box was removed, or Undo has nothing more to undo
    }
  };

  Editor.prototype.select = function (index) {
    this.selected = index;
    this.changed(true);
    this.say("Box " + (index + 1) + " selected. Arrow keys move it, Shift and arrow keys size it.");
  };

  Editor.prototype.paint = function (canvas, outline) {
    var context = canvas.getContext("2d");
    context.drawImage(this.image, 0, 0);
    context.fillStyle = "#000";
    this.boxes.forEach(function (box) { context.fillRect(box.x, box.y, box.w, box.h); });
    var box = this.boxes[this.selected];
    if (outline && box) {
      var line = Math.max(2, Math.round(this.step / 3));
      context.lineWidth = line;
      context.strokeStyle = "#fd0";
      context.strokeRect(box.x + line / 2, box.y + line / 2, box.w - line, box.h - line);
    }
  };

  Editor.prototype.draw = function () {
    this.paint(this.canvas, true);
  };

  // --- mouse and touch -------------------------------------------------------------------------------

  Editor.prototype.point = function (event) {
    var rect = this.canvas.getBoundingClientRect();
    return {
      x: Math.round((event.clientX - rect.left) * this.canvas.width / rect.width),
      y: Math.round((event.clientY - rect.top) * this.canvas.height / rect.height),
    };
  };

  Editor.prototype.pointerDown = function (event) {
    if (event.button > 0) { return; }
    event.preventDefault();
    try {
      this.canvas.setPointerCapture(event.pointerId); // keeps the drag when it leaves the image
    } catch (error) { /* a pointer the browser no longer tracks: the drag still works inside the image */ }
    this.start = this.point(event);
    this.remember();
    this.boxes.push({x: this.start.x, y: this.start.y, w: 1, h: 1});
    this.drawing = this.boxes.length - 1;
    this.selected = this.drawing;
  };

  Editor.prototype.pointerMove = function (event) {
    if (this.drawing === undefined) { return; }
    var end = this.point(event);
    var box = this.boxes[this.drawing];
    box.x = Math.min(this.start.x, end.x);
    box.y = Math.min(this.start.y, end.y);
    box.w = Math.abs(end.x - this.start.x);
    box.h = Math.abs(end.y - this.start.y);
    this.clamp(box);
    this.draw();
  };

  Editor.prototype.pointerUp = function (event) {
    if (this.drawing === undefined) { return; }
    this.pointerMove(event);
    var box = this.boxes[this.drawing];
    this.drawing = undefined;
    if (box.w < MIN_DRAWN && box.h < MIN_DRAWN) { // a click or a tap: select the box under it, if any
      this.boxes.pop();
      this.history.pop();
      this.selected = this.hit(this.start);
      this.changed(false);
      if (this.selected >= 0) { this.say(this.describe(this.selected) + " Selected."); }
      return;
    }
    this.changed(false);
    this.say("Box " + this.boxes.length + " drawn. " + this.describe(this.boxes.length - 1));
  };

  Editor.prototype.hit = function (at) {
    for (var index = this.boxes.length - 1; index >= 0; index--) {
      var box = this.boxes[index];
      if (at.x >= box.x && at.x <= box.x + box.w && at.y >= box.y && at.y <= box.y + box.h) { return index; }
    }
    return -1;
  };

  // --- the outcome -----------------------------------------------------------------------------------

  Editor.prototype.replace = function (file, replacement) {
    var files = new DataTransfer();
    if (this.held) { // the held image was never in the field: the copy is all it holds
      files.items.add(replacement);
      this.input.files = files.files;
      return;
    }
    Array.prototype.forEach.call(this.input.files, function (each) {
      if (each !== file) {
        files.items.add(each);
      } else if (replacement) {
        files.items.add(replacement);
      }
    });
    this.input.files = files.files;
  };

  Editor.prototype.useRedacted = function () {
    var editor = this, file = this.file;
    var flat = el("canvas");
    flat.width = this.canvas.width;
    flat.height = this.canvas.height;
    this.paint(flat, false);
    this.useButton.disabled = true;
    flat.toBlob(function (blob) {
      editor.useButton.disabled = false;
      if (!blob) {
        editor.say("The copy could not be made; the original is still attached. Try again or remove it.");
        return;
      }
      var redacted = new File([blob], pngName(file.name), {type: "image/png", lastModified: Date.now()});
      editor.replace(file, redacted);
      editor.finish(redacted.name + " is attached in place of " + file.name + ", with " +
        editor.boxes.length + " box" + (editor.boxes.length === 1 ? "" : "es") + " blacked out.");
    }, "image/png");
  };

  Editor.prototype.drop = function () {
    if (this.held) { // nothing of it is in the field: close, and show the way without the editor
      this.ownFile.forEach(function (way) { way.hidden = false; });
      this.finish("The editor is closed. Nothing is attached yet.");
      return;
    }
    this.replace(this.file, null);
    this.finish(this.file.name + " is no longer attached.");
  };

  Editor.prototype.finish = function (message) {
    this.say(message);
    this.image = null;
    this.next();
    if (this.panel.hidden) { this.input.focus(); }
  };

  document.querySelectorAll("input[type=file][data-redact]").forEach(function (input) {
    if (window.DataTransfer && window.createImageBitmap && HTMLCanvasElement.prototype.toBlob) {
      var editor = new Editor(input);
      if (input.hasAttribute("data-redact-src") && window.fetch) { editor.fetchHeld(); }
    }
  });
})();
