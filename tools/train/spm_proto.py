"""Reads the pieces of a SentencePiece model file without protobuf.

Debian's python3-sentencepiece has no API for a piece's exact type (it lacks
IsUserDefined) and no generated protobuf module, yet the GGUF token types
are exactly SentencePiece's piece types. The ModelProto layout needed here
is small and stable:

  ModelProto      1: repeated SentencePiece pieces, 3: NormalizerSpec normalizer_spec
  SentencePiece   1: string piece, 2: float score, 3: Type type (default NORMAL = 1)
  NormalizerSpec  1: string name, 3: bool add_dummy_prefix (default true),
                  4: bool remove_extra_whitespaces (default true)

Type values: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    text: str
    score: float
    type: int


@dataclass(frozen=True)
class SpmModel:
    pieces: list[Piece]
    normalizer: str
    add_dummy_prefix: bool
    remove_extra_whitespaces: bool


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes):
    """Yields (field number, wire type, value) of one message; value is int, bytes or raw 4/8 bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield num, wire, val


def read_model(data: bytes) -> SpmModel:
    pieces: list[Piece] = []
    name, dummy, squeeze = "", True, True
    for num, wire, val in _fields(data):
        if num == 1 and wire == 2:
            text, score, typ = "", 0.0, 1
            for n2, w2, v2 in _fields(val):
                if n2 == 1 and w2 == 2:
                    text = v2.decode("utf-8")
                elif n2 == 2 and w2 == 5:
                    score = struct.unpack("<f", v2)[0]
                elif n2 == 3 and w2 == 0:
                    typ = v2
            pieces.append(Piece(text, score, typ))
        elif num == 3 and wire == 2:
            for n2, w2, v2 in _fields(val):
                if n2 == 1 and w2 == 2:
                    name = v2.decode("utf-8")
                elif n2 == 3 and w2 == 0:
                    dummy = bool(v2)
                elif n2 == 4 and w2 == 0:
                    squeeze = bool(v2)
    if not pieces:
        raise ValueError("not a SentencePiece model: no pieces")
    return SpmModel(pieces, name, dummy, squeeze)
