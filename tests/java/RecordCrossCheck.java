import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.ByteUtils;

/**
 * Kafka's own record batch code, driven line by line from stdin so one JVM serves a
 * whole test session. Byte strings are written "x" + hex, null as "-".
 *
 * READ x&lt;batches&gt;
 *   one "B ..." line per batch (after ensureValid), one "R ..." line per record, then "E".
 * BUILD codec level|- producerId epoch baseSequence transactional(0|1) leaderEpoch n
 *   followed by n lines "timestamp key value [headerKey headerValue]...", builds with
 *   MemoryRecordsBuilder (base offset 0, CREATE_TIME) and answers "OUT x&lt;batch&gt;".
 * VARLONG v... answers "OUT" and ByteUtils.writeVarlong of each value.
 * FILL batchSize n, then n record lines as for BUILD: appends records to an uncompressed
 *   builder whose write limit is batchSize while hasRoomFor() allows (the first always,
 *   as the RecordAccumulator does) and answers "OUT count".
 * EMPTY codec producerId epoch baseSequence baseOffset lastOffset leaderEpoch timestamp transactional
 *   answers "OUT x&lt;batch&gt;" from DefaultRecordBatch.writeEmptyHeader (what compaction leaves).
 * MARKER offset timestamp leaderEpoch producerId epoch controlType coordinatorEpoch
 *   answers "OUT x&lt;batch&gt;" from MemoryRecords.withEndTransactionMarker.
 * Any exception answers "ERR class: message" (then "E" for READ).
 */
public class RecordCrossCheck {
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.US_ASCII);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] p = line.split(" ");
            try {
                switch (p[0]) {
                    case "READ" -> read(p[1], out);
                    case "BUILD" -> build(p, in, out);
                    case "VARLONG" -> varlong(p, out);
                    case "MARKER" -> marker(p, out);
                    case "FILL" -> fill(p, in, out);
                    case "EMPTY" -> empty(p, out);
                    default -> out.println("ERR unknown command " + p[0]);
                }
            } catch (Exception e) {
                out.println("ERR " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
                if (p[0].equals("READ")) out.println("E");
            }
            out.flush();
        }
    }

    private static String enc(ByteBuffer b) {
        if (b == null) return "-";
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return "x" + HEX.formatHex(a);
    }

    private static String enc(byte[] a) {
        return a == null ? "-" : "x" + HEX.formatHex(a);
    }

    private static byte[] dec(String s) {
        return s.equals("-") ? null : HEX.parseHex(s.substring(1));
    }

    private static void read(String data, PrintStream out) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(dec(data)));
        StringBuilder sb = new StringBuilder();
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            sb.append("B ").append(batch.baseOffset()).append(' ').append(batch.lastOffset())
              .append(' ').append(batch.partitionLeaderEpoch()).append(' ').append(batch.magic())
              .append(' ').append(batch.compressionType().id).append(' ').append(batch.timestampType().id)
              .append(' ').append(batch.isTransactional() ? 1 : 0).append(' ').append(batch.isControlBatch() ? 1 : 0)
              .append(' ').append(((DefaultRecordBatch) batch).baseTimestamp()).append(' ').append(batch.maxTimestamp())
              .append(' ').append(batch.producerId()).append(' ').append(batch.producerEpoch())
              .append(' ').append(batch.baseSequence()).append(' ').append(batch.countOrNull())
              .append(' ').append(batch.checksum()).append(' ').append(batch.sizeInBytes()).append('\n');
            for (Record r : batch) {
                r.ensureValid();
                Header[] headers = r.headers();
                sb.append("R ").append(r.offset()).append(' ').append(r.timestamp()).append(' ')
                  .append(enc(r.key())).append(' ').append(enc(r.value())).append(' ').append(headers.length);
                for (Header h : headers) {
                    sb.append(' ').append(enc(h.key().getBytes(StandardCharsets.UTF_8))).append(' ').append(enc(h.value()));
                }
                sb.append('\n');
            }
        }
        out.print(sb);
        out.println("E");
    }

    private static Compression compression(int codec, String level) {
        CompressionType type = CompressionType.forId(codec);
        boolean dflt = level.equals("-");
        return switch (type) {
            case NONE -> Compression.NONE;
            case SNAPPY -> Compression.snappy().build();
            case GZIP -> dflt ? Compression.gzip().build() : Compression.gzip().level(Integer.parseInt(level)).build();
            case LZ4 -> dflt ? Compression.lz4().build() : Compression.lz4().level(Integer.parseInt(level)).build();
            case ZSTD -> dflt ? Compression.zstd().build() : Compression.zstd().level(Integer.parseInt(level)).build();
        };
    }

    private static void build(String[] p, BufferedReader in, PrintStream out) throws Exception {
        int codec = Integer.parseInt(p[1]);
        Compression compression = compression(codec, p[2]);
        long producerId = Long.parseLong(p[3]);
        short epoch = Short.parseShort(p[4]);
        int baseSequence = Integer.parseInt(p[5]);
        boolean transactional = p[6].equals("1");
        int leaderEpoch = Integer.parseInt(p[7]);
        int n = Integer.parseInt(p[8]);
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
            compression, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, producerId, epoch, baseSequence,
            transactional, leaderEpoch);
        for (int i = 0; i < n; i++) {
            String[] r = in.readLine().split(" ");
            Header[] headers = new Header[(r.length - 3) / 2];
            for (int h = 0; h < headers.length; h++) {
                headers[h] = new RecordHeader(new String(dec(r[3 + 2 * h]), StandardCharsets.UTF_8), dec(r[4 + 2 * h]));
            }
            builder.appendWithOffset(i, Long.parseLong(r[0]), dec(r[1]), dec(r[2]), headers);
        }
        ByteBuffer built = builder.build().buffer();
        out.println("OUT " + enc(built));
    }

    private static void varlong(String[] p, PrintStream out) {
        StringBuilder sb = new StringBuilder("OUT");
        for (int i = 1; i < p.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(10);
            ByteUtils.writeVarlong(Long.parseLong(p[i]), b);
            b.flip();
            sb.append(' ').append(HEX.formatHex(b.array(), 0, b.limit()));
        }
        out.println(sb);
    }

    private static void marker(String[] p, PrintStream out) {
        EndTransactionMarker marker = new EndTransactionMarker(
            ControlRecordType.fromTypeId(Short.parseShort(p[6])), Integer.parseInt(p[7]));
        MemoryRecords records = MemoryRecords.withEndTransactionMarker(Long.parseLong(p[1]), Long.parseLong(p[2]),
            Integer.parseInt(p[3]), Long.parseLong(p[4]), Short.parseShort(p[5]), marker);
        out.println("OUT " + enc(records.buffer()));
    }

    private static void fill(String[] p, BufferedReader in, PrintStream out) throws Exception {
        int batchSize = Integer.parseInt(p[1]);
        int n = Integer.parseInt(p[2]);
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, RecordBatch.NO_PRODUCER_ID,
            RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false, false,
            RecordBatch.NO_PARTITION_LEADER_EPOCH, batchSize);
        int count = 0;
        boolean open = true;
        for (int i = 0; i < n; i++) {
            String[] r = in.readLine().split(" ");  // read every line even after the batch is full
            if (!open) continue;
            Header[] headers = new Header[(r.length - 3) / 2];
            for (int h = 0; h < headers.length; h++) {
                headers[h] = new RecordHeader(new String(dec(r[3 + 2 * h]), StandardCharsets.UTF_8), dec(r[4 + 2 * h]));
            }
            long ts = Long.parseLong(r[0]);
            byte[] key = dec(r[1]);
            byte[] value = dec(r[2]);
            if (count == 0 || builder.hasRoomFor(ts, key, value, headers)) {
                builder.appendWithOffset(count, ts, key, value, headers);
                count++;
            } else {
                open = false;
            }
        }
        out.println("OUT " + count);
    }

    private static void empty(String[] p, PrintStream out) {
        ByteBuffer buffer = ByteBuffer.allocate(DefaultRecordBatch.RECORD_BATCH_OVERHEAD);
        DefaultRecordBatch.writeEmptyHeader(buffer, RecordBatch.MAGIC_VALUE_V2, Long.parseLong(p[2]),
            Short.parseShort(p[3]), Integer.parseInt(p[4]), Long.parseLong(p[5]), Long.parseLong(p[6]),
            Integer.parseInt(p[7]), TimestampType.CREATE_TIME, Long.parseLong(p[8]), p[9].equals("1"), false);
        buffer.flip();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        if (!p[1].equals("0")) {
            // writeEmptyHeader has no codec argument; set the bits as a cleaned compressed batch keeps them.
            ByteBuffer b = ByteBuffer.wrap(bytes);
            short attributes = (short) (b.getShort(21) | Integer.parseInt(p[1]));
            b.putShort(21, attributes);
            java.util.zip.Checksum crc = new java.util.zip.CRC32C();
            crc.update(bytes, 21, bytes.length - 21);
            b.putInt(17, (int) crc.getValue());
        }
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            if (batch.iterator().hasNext()) throw new IllegalStateException("empty batch has records");
        }
        out.println("OUT " + enc(bytes));
    }
}
