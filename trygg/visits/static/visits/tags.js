// The tag page: read the tag with Web NFC (its link or text record gives the code, the chip
// its serial number) or its QR code with the camera, check the code as it is typed (the same
// rules as trygg/lib/tagcodes.py), and open a client as soon as one is chosen in the picker.
// Without scripts the page still works: type the code, choose the client and press the button.
import { parse, parseUid, TagCodeError } from "./tagcode.js";
import { NfcReader, QrReader, nfcAvailable, qrAvailable } from "./scan.js";

function codeIn(texts) {
  for (const text of texts) {
    try {
      return parse(text);
    } catch (error) {
      // Another record on the tag (a vCard, a note): look at the next one.
    }
  }
  return "";
}

function setUpPicker() {
  const form = document.getElementById("tag-pick");
  if (!form) return;
  // Choosing a client in the search results opens them: one tap instead of two.
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=radio][name=client]")) form.requestSubmit();
  });
}

function setUpRegister() {
  const form = document.getElementById("tag-register");
  if (!form) return;
  const code = form.querySelector("input[name=code]");
  const uid = form.querySelector("input[name=uid]");
  const uidLine = document.getElementById("tag-uid");
  const uidValue = document.getElementById("tag-uid-value");
  const state = document.getElementById("tag-scan-state");
  const error = document.getElementById("tag-code-error");
  const nfcButton = document.getElementById("tag-scan-nfc");
  const qrButton = document.getElementById("tag-scan-qr");
  const video = document.getElementById("tag-qr-video");
  const say = (key) => { state.textContent = form.dataset[key] || ""; };

  const showError = (text) => {
    error.textContent = text;
    error.hidden = !text;
    code.setAttribute("aria-invalid", text ? "true" : "false");
  };
  const check = () => {
    if (!code.value.trim()) { showError(""); return true; }
    try {
      code.value = parse(code.value);
      showError("");
      return true;
    } catch (failure) {
      if (!(failure instanceof TagCodeError)) throw failure;
      if (failure.kind === "length") showError(form.dataset.codeLength);
      else if (failure.kind === "chars") showError(`${form.dataset.codeChars} ${failure.chars}`);
      else showError(form.dataset.codeCheck);
      return false;
    }
  };
  const fill = (found, chip) => {
    code.value = found;
    uid.value = chip;
    uidValue.textContent = chip;
    uidLine.hidden = !chip;
    showError("");
  };

  // A code that has become right while typing clears the error at once, so the page does
  // not move under the finger when the field is left.
  code.addEventListener("input", () => {
    if (error.hidden) return;
    try {
      parse(code.value);
      showError("");
    } catch (failure) {
      if (!(failure instanceof TagCodeError)) throw failure;
    }
  });
  code.addEventListener("change", () => {
    check();
    // A typed code is not the chip that was read before.
    uid.value = "";
    uidLine.hidden = true;
  });
  form.addEventListener("submit", (event) => {
    if (!check()) { event.preventDefault(); code.focus(); }
  });

  if (nfcAvailable()) {
    const reader = new NfcReader(({ texts, uid: serial }) => {
      const found = codeIn(texts);
      if (!found) { say("nfcNocode"); return; }
      fill(found, parseUid(serial));
      say("nfcRead");
      if (navigator.vibrate) navigator.vibrate(80);
    }, (reading) => say(`nfc${reading[0].toUpperCase()}${reading.slice(1)}`));
    nfcButton.hidden = false;
    nfcButton.addEventListener("click", () => reader.start());
    // Allowed before on this site: read at once, no tap needed.
    NfcReader.allowed().then((allowed) => { if (allowed) reader.start(); });
  } else {
    say(qrAvailable() ? "nfcUnavailable" : "scanUnavailable");
  }
  if (qrAvailable()) {
    const qr = new QrReader(video);
    qrButton.hidden = false;
    qrButton.addEventListener("click", async () => {
      try {
        await qr.start((text) => {
          const found = codeIn([text]);
          if (found) { fill(found, ""); say("nfcRead"); } else { code.value = text; check(); }
        });
      } catch (failure) {
        qr.stop();
        say("qrFailed");
      }
    });
  }
}

setUpPicker();
setUpRegister();
