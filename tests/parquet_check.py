"""Reads Parquet files written by `vxscope dissect -T parquet` back with pyarrow and compares every column of
every row with what `vxscope dissect --json` wrote for the same capture (tests/parquet.rs runs it).

    python3 tests/parquet_check.py MANIFEST

MANIFEST has one line a comparison: `JSON<TAB>PARQUET<TAB>OCCURRENCE` (f, l or a, as given to -E occurrence=).
Prints one line a comparison that differs and the counts; exits 1 when anything differs.

How a --json value is read in the column's type (the registry's kind, as the Parquet schema says):
- integer columns (int64, uint64): a JSON number, or a hex string ("0x847d") as the integer it writes;
- boolean columns: a JSON boolean (or 0/1);
- string columns: the JSON string as it is;
- frame.time_epoch, a timestamp in nanoseconds (UTC): the JSON "ts" ("seconds.nanoseconds") in nanoseconds;
- frame.number, frame.len, frame.cap_len: "frame", "len", "caplen";
- notes: the codes of the JSON "notes", in order; a note code as a column: whether the frame has that note.
A field absent from a frame is null (an empty list with occurrence a); a field with several values in a frame
(a JSON array) is its first (f), its last (l) or the list of all (a).
"""

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq

FRAME = {"frame.number": "frame", "frame.len": "len", "frame.cap_len": "caplen"}


def ns(ts):
    sec, _, frac = ts.partition(".")
    neg = sec.startswith("-")
    whole = abs(int(sec)) * 1_000_000_000 + int(frac.ljust(9, "0"))
    return -whole if neg else whole


def as_type(value, kind):
    if pa.types.is_integer(kind):
        if isinstance(value, bool):
            raise ValueError(f"boolean {value} in an integer column")
        if isinstance(value, str):
            if not value.startswith("0x"):
                raise ValueError(f"text {value!r} in an integer column")
            return int(value, 16)
        return int(value)
    if pa.types.is_boolean(kind):
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"{value!r} in a boolean column")
    if pa.types.is_string(kind):
        if not isinstance(value, str):
            raise ValueError(f"{value!r} ({type(value).__name__}) in a string column")
        return value
    raise ValueError(f"unexpected column type {kind}")


def expected(name, kind, frame, occurrence):
    if name == "frame.time_epoch":
        return ns(frame["ts"])
    if name in FRAME:
        return frame[FRAME[name]]
    codes = [n["code"] for n in frame["notes"]]
    if name == "notes":
        return codes
    if "." in name and name in NOTE_CODES:
        return name in codes
    value = frame["fields"].get(name)
    values = [] if value is None else value if isinstance(value, list) else [value]
    element = kind.value_type if pa.types.is_list(kind) else kind
    values = [as_type(v, element) for v in values]
    if occurrence == "a":
        return values
    if not values:
        return None
    return values[0] if occurrence == "f" else values[-1]


NOTE_CODES = set()


def compare(json_path, parquet_path, occurrence):
    frames = [json.loads(line) for line in open(json_path, encoding="utf-8")]
    table = pq.read_table(parquet_path)
    problems = []
    if table.num_rows != len(frames):
        return [f"{parquet_path}: {table.num_rows} rows, {len(frames)} JSON frames"], 0
    values = 0
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_timestamp(kind):
            if kind.unit != "ns" or kind.tz != "UTC":
                problems.append(f"{parquet_path}: {name} is {kind}, not a UTC timestamp in ns")
            column = column.cast(pa.int64())
        got_all = column.to_pylist()
        for row, (got, frame) in enumerate(zip(got_all, frames)):
            try:
                want = expected(name, kind, frame, occurrence)
            except ValueError as e:
                problems.append(f"{parquet_path}: frame {frame['frame']}: {name}: {e}")
                continue
            if got != want:
                problems.append(
                    f"{parquet_path}: frame {frame['frame']} (row {row}): {name}: "
                    f"Parquet {got!r}, JSON {want!r}"
                )
            values += 1
    return problems, values


def main():
    manifest = sys.argv[1]
    NOTE_CODES.update(sys.argv[2:])
    problems, files, values = [], 0, 0
    for line in open(manifest, encoding="utf-8"):
        json_path, parquet_path, occurrence = line.rstrip("\n").split("\t")
        p, v = compare(json_path, parquet_path, occurrence)
        problems += p
        values += v
        files += 1
    for p in problems[:50]:
        print(p)
    print(f"compared {files} files, {values} values, {len(problems)} differences")
    sys.exit(1 if problems or files == 0 else 0)


if __name__ == "__main__":
    main()
