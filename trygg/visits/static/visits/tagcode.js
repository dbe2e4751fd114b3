// The codes written on Trygg's NFC tags (trygg/lib/tagcodes.py, the same rules): eight
// characters of Crockford's base 32 in two groups, 7K3M-Q9XB, the last a Luhn mod 32 check
// character, so the phone catches a mistyped code before anything is registered.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const VALUE = new Map([...ALPHABET].map((char, index) => [char, index]));
const READ_AS = { I: "1", L: "1", O: "0" };
const LINK = /\/t\/([0-9A-Za-z-]+)\/?(?:[?#].*)?$/;
const LENGTH = 8;

export class TagCodeError extends Error {
  constructor(kind, chars = "") {
    super(kind);
    this.kind = kind; // "length", "chars" or "check"
    this.chars = chars;
  }
}

export function checkCharacter(body) {
  let total = 0;
  let factor = 2;
  for (const char of [...body].reverse()) {
    const addend = factor * VALUE.get(char);
    total += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 2 ? 1 : 2;
  }
  return ALPHABET[(32 - (total % 32)) % 32];
}

// The code in `text` (typed, read from the QR code or from the tag's link) in its printed
// form; TagCodeError if it is not one.
export function parse(text) {
  let value = String(text || "").trim();
  const link = LINK.exec(value);
  if (link) value = link[1];
  const compact = value.replace(/[\s-]/g, "").toUpperCase().replace(/[ILO]/g, (c) => READ_AS[c]);
  if (compact.length !== LENGTH) throw new TagCodeError("length");
  const unknown = [...new Set([...compact].filter((char) => !VALUE.has(char)))].sort();
  if (unknown.length) throw new TagCodeError("chars", unknown.join(", "));
  if (checkCharacter(compact.slice(0, -1)) !== compact.slice(-1)) throw new TagCodeError("check");
  return compact.slice(0, 4) + "-" + compact.slice(4);
}

// A chip's serial number as Web NFC reports it (04:a2:3b:...), as hex digits; "" if none.
export function parseUid(text) {
  const compact = String(text || "").replace(/[\s:-]/g, "").toUpperCase();
  return /^[0-9A-F]{8,20}$/.test(compact) && compact.length % 2 === 0 ? compact : "";
}
