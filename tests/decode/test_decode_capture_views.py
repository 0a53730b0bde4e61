"""--summary, --stats and --filter over built captures, against a model of what was built."""
from __future__ import annotations

import io
import json
from fnmatch import fnmatchcase

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.support.kafka_capture import BROKER, T0_US, Exchange, build_capture, client_of, request_frame, response_frame

from purekafka.decode import main
from purekafka.decode.stats import percentile
from purekafka.errors import error_name

TOPICS = ["orders", "orders-dlq", "clicks", "t.x"]
CLIENTS = ["rdkafka", "console-consumer", "adminclient-1", None]
CODES = [0, 0, 3, 6, 35, 87]


def _run(argv: list[str], capture: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main([*argv, "--format", "pcap", "-"], stdin=io.BytesIO(capture), stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return rc, out.getvalue(), err.getvalue()


def _bodies(api: str, topics: list[str], codes: list[int]) -> tuple[int, int, dict, dict]:
    if api == "Metadata":
        return 3, 12, {"topics": [{"name": t} for t in topics]}, {
            "topics": [{"name": t, "error_code": c} for t, c in zip(topics, codes)]}
    if api == "ListOffsets":
        return 2, 7, {"topics": [{"name": t, "partitions": [{"partition_index": 0}]} for t in topics]}, {
            "topics": [{"name": t, "partitions": [{"partition_index": 0, "error_code": c}]}
                       for t, c in zip(topics, codes)]}
    return 18, 3, {"client_software_name": "x", "client_software_version": "1"}, {"error_code": codes[0]}


@st.composite
def sessions(draw: st.DrawFn) -> list[dict]:
    """Exchanges with what each one is: connection, API, client id, topics, codes, times."""
    n = draw(st.integers(1, 14))
    clock: dict[int, int] = {}
    corr: dict[int, int] = {}
    out = []
    for _ in range(n):
        conn = draw(st.integers(0, 2))
        api = draw(st.sampled_from(["Metadata", "ListOffsets", "ApiVersions"]))
        topics = draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True))
        codes = draw(st.lists(st.sampled_from(CODES), min_size=len(topics), max_size=len(topics)))
        if api == "ApiVersions":
            topics, codes = [], codes[:1]
        at = clock.get(conn, T0_US) + draw(st.integers(0, 5000))
        latency = draw(st.integers(0, 300_000))
        c = corr[conn] = corr.get(conn, draw(st.integers(0, 3))) + 1  # the same ids recur on other connections
        clock[conn] = at + latency + 1
        out.append({"conn": conn, "api": api, "client": draw(st.sampled_from(CLIENTS)), "topics": topics,
                    "codes": codes, "at": at, "latency": latency, "corr": c})
    return out


def _capture(session: list[dict]) -> bytes:
    exchanges = []
    for e in session:
        key, ver, req, resp = _bodies(e["api"], e["topics"], e["codes"])
        exchanges.append(Exchange(e["conn"], e["at"], request_frame(key, ver, e["corr"], e["client"], req),
                                  response_frame(key, ver, e["corr"], resp), e["latency"]))
    return build_capture(exchanges)


def _conn_text(e: dict) -> str:
    (ch, cp), (sh, sp) = client_of(e["conn"]), BROKER
    return f"{ch}:{cp} -> {sh}:{sp}"


def _expected_frames(session: list[dict]) -> list[tuple]:
    """(time µs, order, direction, exchange) in capture order."""
    frames = []
    # The builder writes exchanges in order of their start (stably), so equal times keep that order.
    for i, e in enumerate(sorted(session, key=lambda e: e["at"])):
        frames.append((e["at"], 2 * i, "request", e))
        frames.append((e["at"] + e["latency"], 2 * i + 1, "response", e))
    return sorted(frames, key=lambda f: (f[0], f[1]))


_TIED = [  # found by Hypothesis: a later exchange on another connection starts at the same time
    {"conn": 0, "api": "Metadata", "client": "rdkafka", "topics": ["orders"], "codes": [0],
     "at": T0_US, "latency": 0, "corr": 1},
    {"conn": 0, "api": "Metadata", "client": "rdkafka", "topics": ["orders"], "codes": [0],
     "at": T0_US + 1, "latency": 0, "corr": 2},
    {"conn": 1, "api": "Metadata", "client": "rdkafka", "topics": ["orders"], "codes": [0],
     "at": T0_US, "latency": 1, "corr": 1},
]


@settings(max_examples=60, deadline=None)
@given(sessions())
@example(_TIED)
def test_summary_has_one_line_per_frame_with_latency_and_error_codes(session):
    rc, out, _ = _run(["--summary", "--json"], _capture(session))
    assert rc == 0
    got = [json.loads(x) for x in out.splitlines()]
    want = _expected_frames(session)
    assert len(got) == len(want)
    for n, (g, (t_us, _, direction, e)) in enumerate(zip(got, want), 1):
        assert g["frame"] == n and g["direction"] == direction and g["error"] is None
        assert (g["api_name"], g["correlation_id"]) == (e["api"], e["corr"])
        assert _conn_text(e) in g["connection"]
        assert abs(g["ts"] - t_us / 1e6) < 1e-6
        if direction == "request":
            assert g["latency_ms"] is None and g["error_codes"] == []
        else:
            assert abs(g["latency_ms"] - e["latency"] / 1000) < 1e-3
            assert [c["code"] for c in g["error_codes"]] == [c for c in e["codes"] if c]
            assert [c["name"] for c in g["error_codes"]] == [error_name(c) for c in e["codes"] if c]
    # The text form carries the same facts, a line per frame.
    _, text, _ = _run(["--summary"], _capture(session))
    lines = text.splitlines()
    assert len(lines) == len(want)
    for line, g in zip(lines, got):
        assert f"{g['api_name']} v{g['api_version']}" in line and f"corr={g['correlation_id']}" in line
        assert f"size={g['size']}" in line
        assert ("latency=" in line) == (g["direction"] == "response")
        for c in g["error_codes"]:
            assert f"{c['name']}({c['code']})" in line


filters = st.lists(st.one_of(
    st.sampled_from(["api=Metadata", "api=listoffsets", "api=18", "api=Metadata,ApiVersions"]),
    st.sampled_from(["topic=orders", "topic=orders*", "topic=t.?", "topic=clicks,t.x"]),
    st.sampled_from(["client=rdkafka", "client=*consumer*", "client=adminclient-[0-9]"]),
    st.sampled_from(["corr=1", "corr=2-4", "corr=3,5"]),
), max_size=3)


def _model_keeps(e: dict, flt: list[str]) -> bool:
    keys = {"Metadata": 3, "ListOffsets": 2, "ApiVersions": 18}
    per_key: dict[str, list[str]] = {}
    for item in flt:  # the same key repeated: alternatives
        k, _, v = item.partition("=")
        per_key.setdefault(k, []).extend(v.split(","))
    for k, vals in per_key.items():
        by_lower = {n.lower(): key for n, key in keys.items()}
        if k == "api" and keys[e["api"]] not in [int(x) if x.isdigit() else by_lower[x.lower()] for x in vals]:
            return False
        if k == "topic" and not any(fnmatchcase(t, g) for t in e["topics"] for g in vals):
            return False
        if k == "client" and (e["client"] is None or not any(fnmatchcase(e["client"], g) for g in vals)):
            return False
        if k == "corr":
            spans = [tuple(map(int, x.split("-"))) if "-" in x else (int(x), int(x)) for x in vals]
            if not any(lo <= e["corr"] <= hi for lo, hi in spans):
                return False
    return True


@settings(max_examples=80, deadline=None)
@given(sessions(), filters)
def test_filter_keeps_what_the_model_keeps_and_a_kept_request_keeps_its_response(session, flt):
    argv = ["--summary", "--json"] + [a for f in flt for a in ("--filter", f)]
    rc, out, _ = _run(argv, _capture(session))
    assert rc == 0
    got = [json.loads(x) for x in out.splitlines()]
    everything = _expected_frames(session)
    kept_numbers = [n for n, (_, _, _, e) in enumerate(everything, 1) if _model_keeps(e, flt)]
    assert [g["frame"] for g in got] == kept_numbers  # a subsequence, numbered as in the whole capture
    requests = {(g["connection"], g["correlation_id"]) for g in got if g["direction"] == "request"}
    responses = {(g["connection"], g["correlation_id"]) for g in got if g["direction"] == "response"}
    assert requests == responses
    # The tree output keeps the same frames.
    _, tree_json, _ = _run(["--json"] + argv[2:], _capture(session))
    assert len(tree_json.splitlines()) == len(got)


def _nearest_rank_ok(values: list[float], p: int, v: float) -> bool:
    """The definition: v occurred, at least p% of values are <= v, and fewer than p% are < v."""
    n = len(values)
    return v in values and 100 * sum(x <= v for x in values) >= p * n > 100 * sum(x < v for x in values)


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_stats_counts_and_percentiles_per_api_and_version(session):
    rc, out, _ = _run(["--stats", "--json"], _capture(session))
    assert rc == 0
    (stats,) = [json.loads(x) for x in out.splitlines()]
    assert stats["frames"] == 2 * len(session) and stats["undecoded"] == 0
    by_api: dict[str, list[dict]] = {}
    for e in session:
        by_api.setdefault(e["api"], []).append(e)
    assert sorted(a["api_name"] for a in stats["apis"]) == sorted(by_api)
    for a in stats["apis"]:
        es = by_api[a["api_name"]]
        assert a["requests"] == a["responses"] == a["latency_count"] == len(es)
        assert a["responses_with_errors"] == sum(any(e["codes"]) for e in es)
        lat = [e["latency"] / 1000 for e in es]
        assert abs(a["latency_max_ms"] - max(lat)) < 1e-3
        prev = 0.0
        for p in (50, 95, 99):
            v = a[f"latency_p{p}_ms"]
            close = min(lat, key=lambda x: abs(x - v))
            assert abs(close - v) < 1e-3 and _nearest_rank_ok(lat, p, close)
            assert v >= prev
            prev = v
    _, table, _ = _run(["--stats"], _capture(session))
    assert table.splitlines()[-1] == f"{2 * len(session)} frames, 0 not decoded"
    assert len(table.splitlines()) == len(by_api) + 2


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50), st.integers(1, 100))
def test_percentile_is_nearest_rank(values, p):
    assert _nearest_rank_ok(values, p, percentile(sorted(values), p))


def test_bad_filters_are_usage_errors():
    cap = _capture([{"conn": 0, "api": "ApiVersions", "client": "c", "topics": [], "codes": [0], "at": T0_US,
                     "latency": 10, "corr": 1}])
    for bad, says in [("nope", "expected KEY=VALUE"), ("api=NoSuchApi", "no such API"), ("corr=x", "correlation id"),
                      ("corr=5-2", "range is empty"), ("topic=", "no value")]:
        rc, out, err = _run(["--filter", bad], cap)
        assert rc == 2 and says in err and out == ""


def test_summary_of_a_segment_is_a_usage_error(tmp_path):
    seg = tmp_path / "00000000000000000000.log"
    seg.write_bytes(b"")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--summary", str(seg)], stdout=out, stderr=err) == 2
    assert "not log segments" in err.getvalue()


def test_undecodable_frames_are_shown_whatever_the_filter_and_counted():
    good = Exchange(0, T0_US, request_frame(18, 3, 1, "c", {}), response_frame(18, 3, 1, {}), 5)
    # A response to a request the capture never saw: no API known.
    stray = Exchange(1, T0_US + 10, request_frame(18, 3, 7, "c", {}), response_frame(18, 3, 8, {}), 5)
    rc, out, _ = _run(["--summary", "--stats", "--filter", "api=Metadata"], build_capture([good, stray]))
    assert rc == 1
    lines = out.splitlines()
    assert any("UNDECODED" in x and "matches no request" in x for x in lines)
    assert lines[-1] == "1 frames, 1 not decoded"


def test_summary_of_a_frame_file_has_no_times_and_no_latency(tmp_path):
    frames = tmp_path / "frames.bin"
    frames.write_bytes(request_frame(18, 3, 5, "c", {}) + response_frame(18, 3, 5, {"error_code": 35}))
    out, err = io.StringIO(), io.StringIO()
    assert main(["--summary", str(frames)], stdout=out, stderr=err) == 0
    req, resp = out.getvalue().splitlines()
    assert req.split()[:2] == ["1", "-"] and "request  ApiVersions v3  corr=5" in req
    assert resp.split()[:2] == ["2", "-"] and "latency" not in resp
    assert "errors=UNSUPPORTED_VERSION(35)" in resp
