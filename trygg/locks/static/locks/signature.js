// The signature pad of the key receipt: the signer draws with a finger (or mouse) on the
// canvas; the strokes are kept as SVG path data ("M x y L x y ...") in the box the server
// expects (data-width x data-height), written to the hidden input on every stroke. "Sign
// again" clears it. Paper receipts hide the pad and show the scan field instead.
(function () {
  "use strict";
  const pad = document.querySelector("[data-signature-pad]");
  if (!pad) return;
  const canvas = pad.querySelector("canvas");
  const input = document.getElementById(pad.dataset.input);
  const clear = pad.querySelector("[data-signature-clear]");
  const width = Number(pad.dataset.width);
  const height = Number(pad.dataset.height);
  const context = canvas.getContext("2d");
  let strokes = [];
  let drawing = null;

  function fit() {
    const ratio = window.devicePixelRatio || 1;
    const shown = canvas.getBoundingClientRect();
    canvas.width = Math.round(shown.width * ratio);
    canvas.height = Math.round(shown.width * ratio * height / width);
    canvas.style.height = Math.round(shown.width * height / width) + "px";
    redraw();
  }
  function point(event) {
    const shown = canvas.getBoundingClientRect();
    const x = Math.min(width, Math.max(0, (event.clientX - shown.left) * width / shown.width));
    const y = Math.min(height, Math.max(0, (event.clientY - shown.top) * height / shown.height));
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }
  function redraw() {
    const scale = canvas.width / width;
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.lineWidth = 2.2 * scale;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#102a43";
    for (const stroke of strokes) {
      context.beginPath();
      stroke.forEach(([x, y], i) => (i ? context.lineTo(x * scale, y * scale) : context.moveTo(x * scale, y * scale)));
      if (stroke.length === 1) context.lineTo(stroke[0][0] * scale + 0.5, stroke[0][1] * scale);
      context.stroke();
    }
  }
  function store() {
    input.value = strokes
      .map((stroke) => stroke.map(([x, y], i) => (i ? "L" : "M") + x + " " + y).join(" "))
      .join(" ");
    pad.classList.toggle("signed", strokes.length > 0);
  }
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = [point(event)];
    strokes.push(drawing);
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const next = point(event);
    const last = drawing[drawing.length - 1];
    if (Math.abs(next[0] - last[0]) + Math.abs(next[1] - last[1]) < 1.5) return;
    drawing.push(next);
    redraw();
  });
  const end = () => {
    if (drawing) store();
    drawing = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear.addEventListener("click", () => {
    strokes = [];
    store();
    redraw();
  });
  // A form sent back with an error keeps what was drawn.
  if (input.value) {
    strokes = input.value.split(/(?=M)/).map((part) =>
      (part.match(/[ML]\s*[\d.]+\s+[\d.]+/g) || []).map((cmd) => cmd.slice(1).trim().split(/\s+/).map(Number)));
  }
  const how = document.querySelectorAll("input[name=signed_how]");
  const paperOnly = document.querySelectorAll("[data-paper-only]");
  function toggle() {
    const checked = document.querySelector("input[name=signed_how]:checked");
    const paper = checked && checked.value === "paper";
    pad.hidden = paper;
    paperOnly.forEach((el) => (el.hidden = !paper));
  }
  how.forEach((radio) => radio.addEventListener("change", toggle));
  toggle();
  window.addEventListener("resize", fit);
  fit();
})();
