// Reading a tag: Web NFC where the browser has it (Chrome on Android), or the QR code printed
// on the tag with the camera (the BarcodeDetector API). Typing the code needs neither.
//
// A tag carries an NDEF URI record, `<site>/t/<code>` (the code may also come as a text
// record); the chip's serial number comes with every reading.

export function nfcAvailable() {
  return "NDEFReader" in window;
}

export function qrAvailable() {
  return "BarcodeDetector" in window && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function recordText(record) {
  try {
    if (record.recordType === "url" || record.recordType === "absolute-url") {
      return new TextDecoder().decode(record.data);
    }
    if (record.recordType === "text") {
      return new TextDecoder(record.encoding || "utf-8").decode(record.data);
    }
  } catch (error) {
    return "";
  }
  return "";
}

// Reads tags for as long as the page is open, once started. `onTag({texts, uid})` gets the
// texts of the tag's records; `onState(state)` gets "reading", "denied", "unreadable" or
// "unavailable".
export class NfcReader {
  constructor(onTag, onState) {
    this.onTag = onTag;
    this.onState = onState;
    this.reader = null;
  }

  get reading() {
    return this.reader !== null;
  }

  // Whether the person already let the app read tags: then it starts without a tap.
  static async allowed() {
    if (!nfcAvailable() || !navigator.permissions) return false;
    try {
      const status = await navigator.permissions.query({ name: "nfc" });
      return status.state === "granted";
    } catch (error) {
      return false;
    }
  }

  async start() {
    if (this.reader) return true;
    if (!nfcAvailable()) { this.onState("unavailable"); return false; }
    const reader = new window.NDEFReader();
    try {
      await reader.scan();
    } catch (error) {
      this.onState(error && error.name === "NotAllowedError" ? "denied" : "unavailable");
      return false;
    }
    reader.onreading = (event) => {
      const texts = [...event.message.records].map(recordText).filter(Boolean);
      this.onTag({ texts, uid: event.serialNumber || "" });
    };
    reader.onreadingerror = () => this.onState("unreadable");
    this.reader = reader;
    this.onState("reading");
    return true;
  }
}

// The camera, looking for a QR code until one is found or `stop()`.
export class QrReader {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.timer = null;
  }

  async start(onCode) {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play();
    const look = async () => {
      if (!this.stream) return;
      try {
        const found = await detector.detect(this.video);
        if (found.length) {
          const text = found[0].rawValue;
          this.stop();
          onCode(text);
          return;
        }
      } catch (error) {
        // A frame the detector could not use: look at the next one.
      }
      this.timer = window.setTimeout(look, 250);
    };
    look();
  }

  stop() {
    window.clearTimeout(this.timer);
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.hidden = true;
    this.video.srcObject = null;
  }
}
