"""Kafka wire protocol: sans-I/O codecs, hand-written, one module per API.

Conventions every API module follows
====================================

Module constants::

    API_KEY: int           # Kafka's api key
    MIN_VERSION: int       # lowest version this module encodes/decodes
    MAX_VERSION: int       # highest version this module encodes/decodes
    FLEXIBLE_VERSION: int  # first flexible version (1 << 30 if none)

Messages are ``@dataclass`` classes named ``<Api>Request`` / ``<Api>Response``
(nested structs get their own dataclasses, named after Kafka's struct type
name, e.g. ``ProduceRequest.topic_data: list[TopicProduceData]``). Field
names are Kafka's JSON field names in snake_case. Every field has a default
equal to the JSON default (0, "", False, -1 where the JSON says so, ``None``
where the JSON default is null, an empty list for arrays, ``ZERO_UUID`` for
uuids), so a message built for an old version is valid for a newer one.
Every struct (top level and nested), in flexible versions, carries
``unknown_tags: dict[int, bytes]``: tagged fields we do not know are kept and
re-emitted, never a crash. Known tagged fields are ordinary fields.

Functions (bodies only, no header)::

    encode_request(msg, version) -> bytes
    decode_request(buf, version) -> <Api>Request
    encode_response(msg, version) -> bytes
    decode_response(buf, version) -> <Api>Response

Encoding rules:

* Versions outside ``MIN_VERSION..MAX_VERSION`` raise ``UnsupportedVersionError``.
* A field that ``version`` cannot carry, holding a non-default value, raises
  ``LocalProtocolError`` -- unless Kafka's JSON marks the field
  ``ignorable: true``, in which case it is silently dropped (as Java's
  generated code does). The check is done in the hand-written encoder.
* Out-of-range integers, ``None`` for non-nullable fields, and the like
  raise ``LocalProtocolError``.

Decoding rules:

* Use ``primitives.Reader`` (sticky error). Pass the snake_case field name
  to each read, call ``r.finish()`` at the end: it raises ``DecodeError``
  (with ``offset`` and ``field``) for a short read, bad length, invalid
  UTF-8 or trailing bytes. Never let ``IndexError``/``struct.error`` escape.
* Fields absent from ``version`` keep their defaults.

Writing:

* Use ``primitives.Writer`` (``w.int16(v)``, ``w.string(s, flex)``,
  ``w.nullable_string(s, flex)``, ``w.bytes_(b, flex)``,
  ``w.array_len(n_or_None, flex)``, ``w.tagged_fields(dict)``, ...) and
  return ``bytes(w.buf)``.
* Tagged fields in a flexible version: collect known tagged fields that are
  not at their default into ``{tag: encoded bytes}``, merge with
  ``unknown_tags``, and write with ``w.tagged_fields``.

Registration: add the module name to ``apis._MODULES`` (one line); the
registry ``apis.API_BY_KEY`` and the cross-check tests pick it up.

``protocol_specs/<Name>.json`` holds the facts of each API in our own format;
``specs.py`` is a generic codec over them, used as the test oracle and by
the decode tool.
"""
from __future__ import annotations
