"""DC-09 framing: `LF crc 0LLL body CR`, the CRC, and splitting a byte stream into frames.

- crc: four ASCII hex digits, CRC-16/ARC (polynomial 0x8005 reflected, i.e. 0xA001, initial
  value 0) of the body.
- 0LLL: "0" and three hex digits, the number of bytes in the body.
- body: from the opening quote of the id token up to, not including, the CR.

Both are checked on input and written in upper case on output; lower-case hex is accepted,
as some units send it.
"""

from __future__ import annotations

from .errors import BadCrc, BadFormat, BadLength, FrameError, FrameTooLong, Garbage

LF = 0x0A
CR = 0x0D
MAX_BODY = 0xFFF  # three hex digits of length
MAX_FRAME = 1 + 4 + 4 + MAX_BODY + 1
HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
# Bytes some units put after the CR (NUL padding of a datagram, CR LF line ends): dropped
# silently between frames rather than reported as garbage.
FILLER = frozenset(b"\x00\r\t ")


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC, the DC-09 CRC (check value: crc16(b"123456789") == 0xBB3D)."""
    crc = 0
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def wrap(body: bytes) -> bytes:
    """The frame for a message body: LF, CRC, length, body, CR."""
    if len(body) > MAX_BODY:
        raise ValueError(f"a DC-09 message holds at most {MAX_BODY} bytes, not {len(body)}")
    return b"\n%04X0%03X%s\r" % (crc16(body), len(body), body)


def _is_hex(field: bytes) -> bool:
    return len(field) == 4 and all(b in HEX_DIGITS for b in field)


def unwrap(frame: bytes) -> bytes:
    """The body of a frame after checking its length and CRC.

    Raises BadFormat (no LF/CR), BadLength or BadCrc; all are answered with NAK.
    """
    if len(frame) < 10 or frame[0] != LF or frame[-1] != CR:
        raise BadFormat("a frame is LF, 4 hex CRC, 0LLL length, message, CR")
    crc_field, length_field, body = frame[1:5], frame[5:9], frame[9:-1]
    if not _is_hex(length_field):
        raise BadLength(f"length field {length_field!r} is not four hex digits")
    if int(length_field, 16) != len(body):
        raise BadLength(f"length field says {int(length_field, 16)} bytes, message has {len(body)}")
    if not _is_hex(crc_field):
        raise BadCrc(f"CRC field {crc_field!r} is not four hex digits")
    if int(crc_field, 16) != crc16(body):
        raise BadCrc(f"CRC field {crc_field.decode()} but message CRC is {crc16(body):04X}")
    return body


class FrameBuffer:
    """Splits a TCP byte stream into frames, one `feed` per read.

    `feed` returns the complete frames (LF..CR inclusive, unchecked: `unwrap` or
    `parse_frame` checks them) and FrameErrors for what had to be skipped, in stream order:

    - several frames in one read, and a frame split over reads, both work;
    - bytes before an LF are Garbage (reported, skipped up to the next LF); NUL, CR, tab and
      space between frames are dropped silently;
    - an LF inside an unfinished frame means the frame was cut off: it is reported as
      Garbage and the new LF starts the next frame;
    - an LF without CR within `max_frame` bytes is FrameTooLong: the buffer is dropped and
      everything up to the next LF is skipped, so a peer sending junk cannot grow memory
      past `max_frame` bytes.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if max_frame < 10:
            raise ValueError("max_frame must allow at least an empty frame")
        self.max_frame = max_frame
        self._buf = bytearray()
        self._scanned = 0  # bytes of an unfinished frame already searched for CR/LF
        self._discarding = False  # after FrameTooLong: drop bytes until the next LF

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        out: list[bytes | FrameError] = []
        buf = self._buf
        buf += data
        pos = 0
        n = len(buf)
        while pos < n:
            if buf[pos] != LF:
                nxt = buf.find(b"\n", pos)
                end = n if nxt < 0 else nxt
                if self._discarding:
                    self._discarding = nxt < 0
                else:
                    junk = bytes(buf[pos:end])
                    if any(b not in FILLER for b in junk):
                        out.append(Garbage(junk))
                pos = end
                continue
            self._discarding = False
            start_search = max(pos + 1, pos + self._scanned)
            cr = buf.find(b"\r", start_search)
            lf = buf.find(b"\n", start_search)
            if lf >= 0 and (cr < 0 or lf < cr):
                out.append(Garbage(bytes(buf[pos:lf]), "frame cut off by a new LF"))
                pos = lf
                self._scanned = 0
                continue
            if cr < 0:
                if n - pos >= self.max_frame:  # the CR would make it longer still
                    out.append(FrameTooLong(n - pos, self.max_frame))
                    self._discarding = True
                    pos = n
                    self._scanned = 0
                else:
                    self._scanned = n - pos
                break
            self._scanned = 0
            if cr + 1 - pos > self.max_frame:
                out.append(FrameTooLong(cr + 1 - pos, self.max_frame))
            else:
                out.append(bytes(buf[pos : cr + 1]))
            pos = cr + 1
        del buf[:pos]
        return out
