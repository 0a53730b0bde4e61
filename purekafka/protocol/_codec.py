"""Small helpers shared by the hand-written API modules."""
from __future__ import annotations

from purekafka.errors import LocalProtocolError, UnsupportedVersionError
from purekafka.protocol.primitives import Reader, Writer

NO_FLEXIBLE_VERSION = 1 << 30


def check_version(api: str, version: int, lo: int, hi: int) -> None:
    if not lo <= version <= hi:
        raise UnsupportedVersionError(f"{api} version {version} is not supported ({lo}-{hi})")


def absent(api: str, name: str, version: int) -> LocalProtocolError:
    """The error for a non-default value in a field the version cannot carry."""
    return LocalProtocolError(f"{api} version {version} cannot carry a non-default {name}")


def write_tags(w: Writer, known: dict[int, bytes] | None, unknown: dict[int, bytes], where: str) -> None:
    """Write a tagged-field section: known tagged fields plus the preserved unknown ones."""
    if not known:
        w.tagged_fields(unknown)
        return
    merged = dict(known)
    for tag, data in unknown.items():
        if tag in merged:
            raise LocalProtocolError(f"{where}: unknown tag {tag} clashes with a known tagged field")
        merged[tag] = data
    w.tagged_fields(merged)


def no_tags(unknown: dict[int, bytes], where: str) -> None:
    if unknown:
        raise LocalProtocolError(f"{where}: tagged fields need a flexible version")


def finish_tag(r: Reader, sub: Reader, field: str) -> None:
    """Fold a tagged-field sub-reader's failure (or leftover bytes) into ``r``."""
    if sub.bad:
        r.fail(field, sub.bad_reason)
    elif sub.pos != sub.end:
        r.fail(field, "tagged field has trailing bytes")


def is_flexible(api: str, version: int, lo: int, hi: int, first_flexible: int) -> bool:
    """Check ``version`` is within ``lo..hi``; return whether it uses the flexible encoding."""
    check_version(api, version, lo, hi)
    return version >= first_flexible


def put_tags(w: Writer, unknown: dict[int, bytes], flex: bool, where: str) -> None:
    """Re-emit kept unknown tagged fields in a flexible version; refuse them in an older one."""
    if flex:
        write_tags(w, None, unknown, where)
    else:
        no_tags(unknown, where)
