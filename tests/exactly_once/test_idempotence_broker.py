"""IdempotenceState against the real broker: the stamps it hands out are sent to Apache Kafka
by a one-socket driver (tests/support/eos_wire.py, playing the sender), and confluent-kafka
reads the partition back. The rules themselves are unit-tested in tests/core/test_idempotence.py.
"""
from __future__ import annotations

import pytest

from purekafka.core.idempotence import IdempotenceState, Stamp
from purekafka.errors import ErrorCode


def _values(tag: str, n: int) -> list[bytes]:
    return [f"{tag}-{i}".encode() for i in range(n)]


def _warm_wire(s: IdempotenceState, wire, topic: str, tp) -> list[bytes]:
    """Store one record of ours on the partition first, so that the state pipelines there
    (``can_send`` sends one batch at a time until the broker holds state for us)."""
    from tests.support.eos_wire import batch_bytes

    b = s.assign(tp, 1)
    p = wire.produce(topic, tp[1], batch_bytes(b, _values("warm", 1), key=b"k"))
    assert p.error_code == 0 and s.on_acked(b, p.base_offset), p
    return _values("warm", 1)


@pytest.mark.broker
def test_broker_accepts_our_sequences_and_deduplicates_a_resend(kafka, topic_factory) -> None:
    from tests.support.eos_wire import Wire, batch_bytes
    from tests.support.readback import consume_all

    topic = topic_factory()
    tp = (topic, 0)
    wire = Wire(kafka.bootstrap)
    try:
        s = IdempotenceState()
        wire.init_idempotent(s)
        sent = []
        for i in range(3):
            b = s.assign(tp, 4)
            data = batch_bytes(b, _values(f"b{i}", 4))
            p = wire.produce(topic, 0, data)
            assert p.error_code == 0, p
            assert s.on_acked(b, p.base_offset)
            sent.append((b, data, p.base_offset))
        assert s.last_acked_sequence(tp) == 11
        # A retry of an already stored batch (its answer was lost): the broker recognises
        # the sequence and answers with the original offset instead of writing it again.
        b1, data1, offset1 = sent[1]
        again = wire.produce(topic, 0, data1)
        assert again.error_code in (0, ErrorCode.DUPLICATE_SEQUENCE_NUMBER)
        if again.error_code == 0:
            assert again.base_offset == offset1
    finally:
        wire.close()
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == _values("b0", 4) + _values("b1", 4) + _values("b2", 4)


@pytest.mark.broker
def test_broker_retry_order_and_local_epoch_bumps(kafka, topic_factory) -> None:
    """Java's recovery paths, each answered by the real broker: a lost request, an
    expired batch (local epoch bump, KIP-360) and OOSN after an unresolved gap."""
    from tests.support.eos_wire import Wire, batch_bytes
    from tests.support.readback import consume_all

    topic = topic_factory()
    tp = (topic, 0)
    wire = Wire(kafka.bootstrap)

    def send(batch, tag: str):
        return wire.produce(topic, 0, batch_bytes(batch, _values(tag, batch.record_count)))

    try:
        s = IdempotenceState()
        wire.init_idempotent(s)
        epoch0 = s.producer_epoch
        b0 = s.assign(tp, 2)
        assert s.on_acked(b0, send(b0, "b0").base_offset)

        # b1's request is lost on the way; b2 arrives first and the broker refuses the gap.
        b1, b2 = s.assign(tp, 2), s.assign(tp, 2)
        p = send(b2, "b2")
        assert p.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        d = s.on_error(b2, p.error_code, log_start_offset=p.log_start_offset)
        assert d.action == "retry" and not d.bump_requested  # b2 is not next: wait for b1
        assert s.on_error(b1, ErrorCode.NETWORK_EXCEPTION).action == "retry"
        assert s.can_resend(b1) and not s.can_resend(b2)
        s.resend(b1)
        p = send(b1, "b1")
        assert p.error_code == 0 and s.on_acked(b1, p.base_offset)
        s.resend(b2)
        p = send(b2, "b2")
        assert p.error_code == 0 and s.on_acked(b2, p.base_offset)
        assert s.producer_epoch == epoch0

        # b3 was sent, never answered, and expired: its fate is unknown, so the epoch is
        # bumped locally and the next batch starts again at sequence 0 -- which Kafka accepts.
        b3 = s.assign(tp, 2)
        assert s.on_error(b3, ErrorCode.REQUEST_TIMED_OUT).action == "retry"
        assert s.on_expired(b3)
        assert s.producer_epoch == epoch0 + 1
        b4 = s.assign(tp, 2)
        assert (b4.producer_epoch, b4.base_sequence) == (epoch0 + 1, 0)
        p = send(b4, "b4")
        assert p.error_code == 0, p
        assert s.on_acked(b4, p.base_offset)

        # b5 is lost and later expires; b6 meets the gap twice; the second OOSN follows the
        # unresolved batch exactly, so the epoch is bumped and b6 restamped from sequence 0.
        b5, b6 = s.assign(tp, 2), s.assign(tp, 2)
        p = send(b6, "b6")
        assert p.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        assert s.on_error(b6, p.error_code).action == "retry"
        assert s.on_error(b5, ErrorCode.REQUEST_TIMED_OUT).action == "retry"  # its request timed out
        assert s.on_expired(b5)
        assert s.can_resend(b6)
        s.resend(b6)
        p = send(b6, "b6")
        assert p.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
        d = s.on_error(b6, p.error_code)
        assert d.action == "retry" and d.bump_requested
        assert (b6.producer_epoch, b6.base_sequence) == (epoch0 + 2, 0)
        s.resend(b6)
        p = send(b6, "b6")
        assert p.error_code == 0, p
        assert s.on_acked(b6, p.base_offset)
    finally:
        wire.close()
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == (_values("b0", 2) + _values("b1", 2) + _values("b2", 2)
                                      + _values("b4", 2) + _values("b6", 2))


@pytest.mark.broker
def test_broker_bump_after_a_refusal_never_rewrites_a_stored_batch(kafka, topic_factory) -> None:
    """b0 is stored but its answer is lost; b1 is refused for sure (a null key on a
    compacted topic); b2 meets the gap. Java would restamp b0 with the new epoch and
    write it twice; here b0 is first resent with its old stamp (the broker recognises
    it), and only b2 moves to the new epoch."""
    from tests.support.eos_wire import Wire, batch_bytes
    from tests.support.readback import consume_all

    topic = topic_factory(config={"cleanup.policy": "compact"})
    tp = (topic, 0)
    wire = Wire(kafka.bootstrap)
    try:
        s = IdempotenceState()
        wire.init_idempotent(s)
        epoch0 = s.producer_epoch
        warm = _warm_wire(s, wire, topic, tp)
        b0, b1, b2 = s.assign(tp, 2), s.assign(tp, 2), s.assign(tp, 2)  # pipelined
        p0 = wire.produce(topic, 0, batch_bytes(b0, _values("b0", 2), key=b"k"))
        p1 = wire.produce(topic, 0, batch_bytes(b1, _values("b1", 2), key=None))
        p2 = wire.produce(topic, 0, batch_bytes(b2, _values("b2", 2), key=b"k"))
        assert p0.error_code == 0  # stored ...
        assert p1.error_code == ErrorCode.INVALID_RECORD, p1
        assert p2.error_code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, p2
        assert s.on_error(b0, ErrorCode.NETWORK_EXCEPTION).action == "retry"  # ... but the answer was lost
        d1 = s.on_error(b1, p1.error_code)
        assert d1.action == "fail" and d1.bump_requested
        assert s.on_error(b2, p2.error_code).action == "retry"
        assert s.producer_epoch == epoch0  # b0 may be stored: it goes first, unchanged
        assert s.can_resend(b0) and not s.can_resend(b2)
        s.resend(b0)
        again = wire.produce(topic, 0, batch_bytes(b0, _values("b0", 2), key=b"k"))
        assert again.error_code == 0 and again.base_offset == p0.base_offset  # recognised
        assert s.on_acked(b0, again.base_offset)
        assert s.producer_epoch == epoch0 + 1 and (b2.producer_epoch, b2.base_sequence) == (epoch0 + 1, 0)
        s.resend(b2)
        p = wire.produce(topic, 0, batch_bytes(b2, _values("b2", 2), key=b"k"))
        assert p.error_code == 0, p
        assert s.on_acked(b2, p.base_offset)
    finally:
        wire.close()
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == warm + _values("b0", 2) + _values("b2", 2)


def _drain_heads(s: IdempotenceState, wire, topic: str, tp, content: dict, max_sends: int = 20) -> list[str]:
    """Resend the partition's unfinished batches to the real broker as the sender does: only
    the oldest one is ever offered (``Accumulator.drain`` looks at a partition's head). Returns
    what happened; fails if the head may not go while batches are unfinished (a stall)."""
    from tests.support.eos_wire import batch_bytes

    seen = []
    for _ in range(max_sends):
        heads = s.unfinished(tp)
        if not heads:
            return seen
        head = heads[0]
        assert s.can_resend(head), f"stalled: the oldest batch may not go ({seen}, {heads})"
        s.resend(head)
        values, key = content[id(head)]
        p = wire.produce(topic, tp[1], batch_bytes(head, values, key=key))
        if p.error_code == 0:
            s.on_acked(head, p.base_offset)
            seen.append(f"{values[0].decode()} stored at {p.base_offset}")
        else:
            s.on_error(head, p.error_code)
            seen.append(f"{values[0].decode()} {ErrorCode(p.error_code).name}")
    raise AssertionError(f"no end after {max_sends} sends: {seen}")


@pytest.mark.broker
def test_broker_probe_at_the_gap_is_the_oldest_batch_not_the_first_maybe_stored(kafka, topic_factory) -> None:
    """b0 stored; b1 refused for sure; b2 answered OUT_OF_ORDER_SEQUENCE_NUMBER; b3's answer
    was lost (it may be stored, for all the producer knows). Before the fix the state wanted
    b3 probed first while the sender only offers b2, the oldest: the partition stalled until
    the delivery timeout (the one-minute stall of issue [green], item 5). Now b2 goes first;
    its OOSN proves nothing from the gap on is stored, and the bump restamps b2 and b3."""
    from tests.support.eos_wire import Wire, batch_bytes
    from tests.support.readback import consume_all

    topic = topic_factory(config={"cleanup.policy": "compact"})
    tp = (topic, 0)
    wire = Wire(kafka.bootstrap)
    try:
        s = IdempotenceState()
        wire.init_idempotent(s)
        warm = _warm_wire(s, wire, topic, tp)
        batches = [s.assign(tp, 2) for _ in range(4)]
        keys = [b"k", None, b"k", b"k"]  # b1 has a null key: refused by the compacted topic
        content = {id(b): (_values(f"b{i}", 2), keys[i]) for i, b in enumerate(batches)}
        answers = [wire.produce(topic, 0, batch_bytes(b, content[id(b)][0], key=keys[i]))
                   for i, b in enumerate(batches)]
        assert [a.error_code for a in answers] == [0, ErrorCode.INVALID_RECORD, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                                                   ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER], answers
        b0, b1, b2, b3 = batches
        assert s.on_acked(b0, answers[0].base_offset)
        assert s.on_error(b1, answers[1].error_code).action == "fail"
        assert s.on_error(b2, answers[2].error_code).action == "retry"
        assert s.on_error(b3, ErrorCode.NETWORK_EXCEPTION).action == "retry"  # its answer never came
        steps = _drain_heads(s, wire, topic, tp, content)
    finally:
        wire.close()
    assert steps[0] == "b2-0 OUT_OF_ORDER_SEQUENCE_NUMBER", steps  # the probe, with the old stamp
    assert s.epoch_bumps == 1 and b2.producer_epoch == b0.producer_epoch + 1 and b2.base_sequence == 0
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got] == warm + _values("b0", 2) + _values("b2", 2) + _values("b3", 2)


@pytest.mark.broker
def test_broker_without_state_takes_any_sequence_so_the_first_batch_goes_alone(kafka, topic_factory) -> None:
    """The broker rule behind ``can_send``'s first-batch guard, on the real broker: with no
    state for a producer on a partition it stores a batch at any sequence
    (ProducerAppendInfo.checkSequence), so a batch pipelined behind one refused before the
    append would be stored first. The state therefore sends one batch at a time to such a
    partition until the first is acknowledged, then pipelines."""
    from tests.support.eos_wire import Wire, batch_bytes
    from tests.support.readback import consume_all

    topic = topic_factory(partitions=2)
    wire = Wire(kafka.bootstrap)
    try:
        s = IdempotenceState()
        wire.init_idempotent(s)
        # Partition 1: what a pipelined second batch would meet if the first was refused.
        ahead = Stamp((topic, 1), 2)
        ahead.producer_id, ahead.producer_epoch, ahead.base_sequence = s.producer_id, s.producer_epoch, 2
        p = wire.produce(topic, 1, batch_bytes(ahead, _values("seq2", 2)))
        assert p.error_code == 0, p  # stored, with sequences 0 and 1 never seen
        # Partition 0: the state holds the second batch back until the first is stored.
        tp = (topic, 0)
        b0 = s.assign(tp, 2)
        assert not s.can_send(tp)
        p0 = wire.produce(topic, 0, batch_bytes(b0, _values("b0", 2)))
        assert p0.error_code == 0 and s.on_acked(b0, p0.base_offset)
        b1, b2 = s.assign(tp, 2), s.assign(tp, 2)  # now pipelined
        for i, b in ((1, b1), (2, b2)):
            pb = wire.produce(topic, 0, batch_bytes(b, _values(f"b{i}", 2)))
            assert pb.error_code == 0 and s.on_acked(b, pb.base_offset), pb
    finally:
        wire.close()
    got = consume_all(kafka.bootstrap, topic)
    assert [r.value for r in got if r.partition == 0] == _values("b0", 2) + _values("b1", 2) + _values("b2", 2)
    assert [r.value for r in got if r.partition == 1] == _values("seq2", 2)
