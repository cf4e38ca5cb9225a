//! Hex dumps as people paste them, read back into packets.
//!
//! Understood, with or without the lines around them (tcpdump's summary lines, shell prompts, prose):
//!
//! - `tcpdump -x`, `-xx`, `-X`, `-XX`: `\t0x0010:  0086 7586 0000 4011 e3f4 ac10 6465 ac10  ..u...@.....de..`
//! - `xxd` (any `-g` grouping): `00000010: 0086 7586 0000 4011 e3f4 ac10 6465 ac10  ..u...@.....de..`
//! - `od -Ax -tx1` (with its `*` for repeated lines and the final offset line), text2pcap's input, Wireshark's
//!   "Copy as Hex Dump" and `hexdump -C`: `000010 00 86 75 86 00 00 40 11 e3 f4 ac 10 64 65 ac 10`
//! - bare hex: Wireshark's "Copy as Hex Stream", `xxd -p`, or groups without offsets (`0050 5693 633b`); a line
//!   of words made of the letters a-f alone (`add`, `cafe`) is prose unless it continues such lines.
//!
//! A line that starts with an offset belongs to the packet the offsets count through; offset 0 starts a new
//! packet, and every other offset must follow on from the line before it. Bare hex lines in a row are one
//! packet; a blank line or any other line ends it. The hex area of a line ends at the first run of two or more
//! spaces (where tcpdump, xxd and Wireshark start their ASCII column) or at the first word that is not hex.
//! Lines that are not hex are skipped; nothing is guessed: an odd number of hex digits, a gap or an overlap in
//! the offsets, or a dump that does not start at offset 0 is an error naming the line.

use std::fmt;

/// One packet read from hex text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexPacket {
    pub bytes: Vec<u8>,
    /// The line (from 1) its first byte is on.
    pub line: usize,
}

/// Why hex text could not be read, and on which line (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexTextError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for HexTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for HexTextError {}

/// Longest plain offset (without `0x` or `:`) taken as an offset rather than as bytes: od writes 6 or 7
/// digits, text2pcap and Wireshark 4 to 8.
const MAX_PLAIN_OFFSET_DIGITS: usize = 8;

/// Shortest plain offset: text2pcap's rule, "a hex number longer than two characters".
const MIN_PLAIN_OFFSET_DIGITS: usize = 3;

/// Reads every packet of a hex dump.
pub fn parse(text: &str) -> Result<Vec<HexPacket>, HexTextError> {
    let mut reader = Reader::default();
    let error = |(line, message)| HexTextError { line, message };
    for (index, line) in text.lines().enumerate() {
        reader.line(index + 1, line).map_err(error)?;
    }
    reader.finish().map_err(error)?;
    Ok(reader.packets)
}

/// The packet being read.
#[derive(Debug, Default)]
enum Current {
    #[default]
    None,
    /// Bare hex lines.
    Stream,
    /// Lines with offsets.
    Offsets {
        /// Offset the next line must start at.
        next: u64,
        /// Where the bytes of the last line start in the packet (for od's `*`).
        last_line_start: usize,
        /// The line of an od `*` not yet resolved by the offset after it.
        repeat: Option<usize>,
        /// The packet's end was given by an offset-only line (od's last line): only offset 0 may follow.
        closed: bool,
        /// A blank or other line came after the last offset line.
        interrupted: bool,
    },
}

#[derive(Default)]
struct Reader {
    packets: Vec<HexPacket>,
    bytes: Vec<u8>,
    first_line: usize,
    current: Current,
}

/// What one line holds.
enum Line {
    Blank,
    /// od's `*`: lines equal to the previous one were left out.
    Repeat,
    /// An offset and the bytes after it (none for od's final line).
    Offset {
        offset: u64,
        bytes: Vec<u8>,
    },
    /// Hex without an offset.
    Stream(Vec<u8>),
    /// Anything else: not hex.
    Other,
}

impl Reader {
    /// Reads line `number`. An error names its line (a `*` left open is reported on its own line).
    fn line(&mut self, number: usize, line: &str) -> Result<(), (usize, String)> {
        let in_offsets = match &self.current {
            Current::Offsets { interrupted, .. } => !interrupted,
            _ => false,
        };
        let at_line = |message| (number, message);
        let in_stream = matches!(self.current, Current::Stream);
        match classify(line, in_offsets, in_stream).map_err(at_line)? {
            Line::Blank | Line::Other => {
                match &mut self.current {
                    Current::Stream => self.finish()?,
                    Current::Offsets { interrupted, .. } => *interrupted = true,
                    Current::None => {}
                }
                Ok(())
            }
            Line::Repeat => match &mut self.current {
                Current::Offsets {
                    repeat,
                    interrupted: false,
                    ..
                } => {
                    *repeat = Some(number);
                    Ok(())
                }
                _ => {
                    if let Current::Stream = self.current {
                        self.finish()?;
                    }
                    Ok(())
                }
            },
            Line::Stream(bytes) => {
                if !matches!(self.current, Current::Stream) {
                    self.finish()?;
                    self.start(number, Current::Stream);
                }
                self.bytes.extend_from_slice(&bytes);
                Ok(())
            }
            Line::Offset { offset, bytes } => self.offset_line(number, offset, &bytes),
        }
    }

    fn offset_line(
        &mut self,
        number: usize,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), (usize, String)> {
        let at_line = |message| Err((number, message));
        if offset == 0 && !bytes.is_empty() {
            self.finish()?;
            self.start(
                number,
                Current::Offsets {
                    next: 0,
                    last_line_start: 0,
                    repeat: None,
                    closed: false,
                    interrupted: false,
                },
            );
        }
        let packet_len = self.bytes.len();
        let Current::Offsets {
            next,
            last_line_start,
            repeat,
            closed,
            interrupted,
        } = &mut self.current
        else {
            if bytes.is_empty() {
                return Ok(());
            }
            self.finish()?;
            return at_line(format!(
                "the dump starts at offset {offset:#06x}, not 0: the lines before it are missing"
            ));
        };
        if *closed {
            return at_line(format!(
                "offset {offset:#06x} after the end of the packet; a new packet starts at offset 0"
            ));
        }
        if let Some(star_line) = repeat.take() {
            let line_len = (packet_len - *last_line_start) as u64;
            let missing = offset.saturating_sub(*next);
            if line_len == 0 || missing % line_len != 0 {
                return at_line(format!(
                    "the '*' on line {star_line} stands for repeats of a {line_len}-byte line, but offset {offset:#06x} is {missing} bytes after {next:#06x}"
                ));
            }
            let line = self.bytes[*last_line_start..].to_vec();
            for _ in 0..missing / line_len {
                *last_line_start = self.bytes.len();
                self.bytes.extend_from_slice(&line);
            }
            *next = offset.max(*next);
        }
        if offset != *next {
            let what = if offset > *next { "gap" } else { "overlap" };
            return at_line(format!(
                "offset {offset:#06x} does not follow on from the line before, which ends at {next:#06x} (a {what}: a line is missing, repeated or out of order, or text after the bytes looks like hex)"
            ));
        }
        *interrupted = false;
        if bytes.is_empty() {
            // od's last line: the length of the packet.
            *closed = true;
            return Ok(());
        }
        *last_line_start = self.bytes.len();
        *next += bytes.len() as u64;
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn start(&mut self, line: usize, current: Current) {
        self.first_line = line;
        self.current = current;
    }

    /// Ends the packet being read, if any. A `*` must be followed by the offset that says how many lines it
    /// stands for; otherwise the error is on the line of the `*`.
    fn finish(&mut self) -> Result<(), (usize, String)> {
        if let Current::Offsets {
            repeat: Some(star_line),
            ..
        } = self.current
        {
            self.current = Current::None;
            return Err((
                star_line,
                "a '*' (repeated lines) must be followed by the offset where the bytes end"
                    .to_string(),
            ));
        }
        if !self.bytes.is_empty() {
            self.packets.push(HexPacket {
                bytes: std::mem::take(&mut self.bytes),
                line: self.first_line,
            });
        }
        self.current = Current::None;
        Ok(())
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex_digit(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Appends the bytes of a word of hex digits (even in number).
fn push_hex(out: &mut Vec<u8>, word: &str) {
    for pair in word.as_bytes().chunks_exact(2) {
        out.push(hex_digit(pair[0]) << 4 | hex_digit(pair[1]));
    }
}

fn odd(word: &str) -> String {
    format!(
        "odd number of hex digits in {word:?}: every byte is two digits (a digit is missing or one too many)"
    )
}

/// Splits off the first word: (word, the rest after it, starting with the whitespace that ended it).
fn first_word(s: &str) -> (&str, &str) {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    s.split_at(end)
}

fn classify(line: &str, in_offsets: bool, in_stream: bool) -> Result<Line, String> {
    // Quoting marks before a dump (`> `) are not part of it; nor is a trailing carriage return.
    let s = line
        .trim_start_matches(|c: char| c.is_whitespace() || c == '>')
        .trim_end();
    if s.is_empty() {
        return Ok(Line::Blank);
    }
    if s == "*" {
        return Ok(Line::Repeat);
    }
    let (word, rest) = first_word(s);

    // An explicit offset: `0x0010:` (tcpdump), `00000010:` (xxd), `0x0010`.
    let explicit = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .map(|w| w.strip_suffix(':').unwrap_or(w))
        .or_else(|| word.strip_suffix(':'))
        .filter(|digits| is_hex(digits) && digits.len() <= 16);
    if let Some(digits) = explicit {
        let offset = u64::from_str_radix(digits, 16).map_err(|e| e.to_string())?;
        return Ok(Line::Offset {
            offset,
            bytes: hex_area(rest)?,
        });
    }

    // A plain offset followed by single bytes: od, text2pcap, Wireshark's hex dump, hexdump -C.
    if is_hex(word) && (MIN_PLAIN_OFFSET_DIGITS..=MAX_PLAIN_OFFSET_DIGITS).contains(&word.len()) {
        let (next, _) = first_word(rest.trim_start());
        if next.len() == 2 && is_hex(next) {
            return Ok(Line::Offset {
                offset: u64::from_str_radix(word, 16).map_err(|e| e.to_string())?,
                bytes: hex_area(rest)?,
            });
        }
        if next.is_empty() && in_offsets {
            // od's last line: the offset alone.
            return Ok(Line::Offset {
                offset: u64::from_str_radix(word, 16).map_err(|e| e.to_string())?,
                bytes: Vec::new(),
            });
        }
    }

    // Bare hex: every word is hex. A line of words made of the letters a-f alone (`bad`, `add`, `cafe`) is prose
    // unless it continues bare hex lines.
    let has_digit = s.bytes().any(|b| b.is_ascii_digit());
    if s.split_whitespace().all(is_hex) && (has_digit || in_stream) {
        let mut bytes = Vec::new();
        for w in s.split_whitespace() {
            if w.len() % 2 == 1 {
                return Err(odd(w));
            }
            push_hex(&mut bytes, w);
        }
        return Ok(Line::Stream(bytes));
    }
    Ok(Line::Other)
}

/// The bytes after an offset: groups of hex digits separated by single spaces, up to a run of two or more
/// spaces (the ASCII column) or a word that is not hex. hexdump -C's and Wireshark's double space after the
/// eighth byte is part of the hex area.
fn hex_area(rest: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut width = 0;
    let mut s = rest.trim_start();
    loop {
        let (word, after) = first_word(s);
        if !is_hex(word) {
            break;
        }
        if word.len() % 2 == 1 {
            return Err(odd(word));
        }
        if width == 0 {
            width = word.len();
        } else if word.len() > width {
            return Err(format!(
                "hex group {word:?} is longer than the groups before it ({width} digits)"
            ));
        }
        push_hex(&mut bytes, word);
        if word.len() < width {
            // A short group ends the line (an odd number of bytes in tcpdump's or xxd's pairs).
            break;
        }
        let gap_len = after.len() - after.trim_start().len();
        let gap = &after[..gap_len];
        let next = after.trim_start();
        let mid_gap = gap == "  " && width == 2 && bytes.len() == 8 && {
            let (w, _) = first_word(next);
            w.len() == 2 && is_hex(w)
        };
        if next.is_empty() || (gap != " " && !mid_gap) {
            break;
        }
        s = next;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed packet's 148 bytes.
    fn seed() -> Vec<u8> {
        crate::seed_frame()
    }

    fn one(text: &str) -> Vec<u8> {
        let packets = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(packets.len(), 1, "{packets:?}");
        packets.into_iter().next().unwrap().bytes
    }

    fn error(text: &str) -> HexTextError {
        parse(text).expect_err("should fail")
    }

    const TCPDUMP_XX: &str = "\
reading from file samples/seed.pcap, link-type EN10MB (Ethernet), snapshot length 65535
16:30:47.124500 IP 172.16.100.101.40592 > 172.16.100.102.8472: OTV, flags [I] (0x08), overlay 0, instance 1
IP 10.244.1.12 > 10.244.2.14: ICMP echo request, id 3143, seq 1102, length 64
\t0x0000:  0050 5693 633b 0050 5693 6a3a 0800 4500  .PV.c;.PV.j:..E.
\t0x0010:  0086 7586 0000 4011 e3f4 ac10 6465 ac10  ..u...@.....de..
\t0x0020:  6466 9e90 2118 0072 0000 0800 0000 0000  df..!..r........
\t0x0030:  0100 b672 ae36 7b6c fe90 c418 69a7 0800  ...r.6{l....i...
\t0x0040:  4500 0054 2305 4000 3f01 ffa2 0af4 010c  E..T#.@.?.......
\t0x0050:  0af4 020e 0800 847d 0c47 044e 0d1e 55cf  .......}.G.N..U.
\t0x0060:  0000 0000 0000 0000 0000 0000 0000 0000  ................
\t0x0070:  0000 0000 0000 0000 0000 0000 0000 0000  ................
\t0x0080:  0000 0000 0000 0000 0000 0000 0000 0000  ................
\t0x0090:  0000 0000                                ....
";

    #[test]
    fn tcpdump_xx_with_summary_lines() {
        assert_eq!(one(TCPDUMP_XX), seed());
        assert_eq!(parse(TCPDUMP_XX).unwrap()[0].line, 4);
    }

    #[test]
    fn tcpdump_x_without_ascii_column_or_summary() {
        let text: String = TCPDUMP_XX
            .lines()
            .skip(3)
            .map(|l| format!("{}\n", l[..l.len().min(49)].trim_end()))
            .collect();
        assert!(text.starts_with("\t0x0000:  0050 5693 633b 0050 5693 6a3a 0800 4500\n"));
        assert_eq!(one(&text), seed());
    }

    #[test]
    fn the_article_style_with_comments_after_the_bytes() {
        let text = "0x0000: 0050 5693 633b 0050 5693 6a3a 0800 4500 #帧头:0050 5693 633b^DEST_MAC\n\
                    0x0010: 0086 7586 0000 4011 e3f4 ac10 6465 ac10 #0086^总长度\n";
        assert_eq!(one(text), seed()[..32]);
    }

    #[test]
    fn xxd_default_and_grouped_by_one() {
        let xxd = "\
00000000: 0050 5693 633b 0050 5693 6a3a 0800 4500  .PV.c;.PV.j:..E.
00000010: 0086 7586 0000 4011 e3f4 ac10 6465 ac10  ..u...@.....de..
00000020: 6466 9e90 2118 0072 0000 0800 0000 0000  df..!..r........
00000030: 0100 b672 ae36 7b6c fe90 c418 69a7 0800  ...r.6{l....i...
00000040: 4500 0054 2305 4000 3f01 ffa2 0af4 010c  E..T#.@.?.......
00000050: 0af4 020e 0800 847d 0c47 044e 0d1e 55cf  .......}.G.N..U.
00000060: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000070: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000080: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000090: 0000 0000                                ....
";
        assert_eq!(one(xxd), seed());
        let g1 = "\
00000000: 00 50 56 93 63 3b 00 50 56 93 6a 3a 08 00 45 00  .PV.c;.PV.j:..E.
00000010: 00 86 75 86 00 00 40 11 e3 f4 ac 10 64 65 ac 10  ..u...@.....de..
00000020: 64 66 9e                                         df.
";
        assert_eq!(one(g1), seed()[..35]);
    }

    #[test]
    fn od_with_repeated_lines_and_final_offset() {
        let od = "\
000000 00 50 56 93 63 3b 00 50 56 93 6a 3a 08 00 45 00
000010 00 86 75 86 00 00 40 11 e3 f4 ac 10 64 65 ac 10
000020 64 66 9e 90 21 18 00 72 00 00 08 00 00 00 00 00
000030 01 00 b6 72 ae 36 7b 6c fe 90 c4 18 69 a7 08 00
000040 45 00 00 54 23 05 40 00 3f 01 ff a2 0a f4 01 0c
000050 0a f4 02 0e 08 00 84 7d 0c 47 04 4e 0d 1e 55 cf
000060 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
000090 00 00 00 00
000094
";
        assert_eq!(one(od), seed());
        // The repeat runs to the end of the packet.
        let zeros = "000000 00 00 00 00 00 00 00 00\n*\n000020\n";
        assert_eq!(one(zeros), vec![0; 32]);
    }

    #[test]
    fn text2pcap_input_with_character_dump_and_several_packets() {
        let text = "\
000000 00 e0 1e a7 05 6f 00 10 ........
000008 5a a0 b9 12 08 00 46 00 ........
I 2024-01-01 comment between packets
000000 ff ff ff ff ff ff 00 10 ........
000008 5a a0 b9 12
";
        let packets = parse(text).unwrap();
        assert_eq!(packets.len(), 2);
        assert_eq!(
            packets[0].bytes,
            [
                0x00, 0xe0, 0x1e, 0xa7, 0x05, 0x6f, 0x00, 0x10, 0x5a, 0xa0, 0xb9, 0x12, 0x08, 0x00,
                0x46, 0x00
            ]
        );
        assert_eq!((packets[0].line, packets[1].line), (1, 4));
        assert_eq!(packets[1].bytes.len(), 12);
    }

    #[test]
    fn wireshark_hex_dump_and_hexdump_c() {
        let wireshark = "0000   00 50 56 93 63 3b 00 50 56 93 6a 3a 08 00 45 00   .PV.c;.PV.j:..E.\n\
                         0010   00 86 75 86                                       ..u.\n";
        assert_eq!(one(wireshark), seed()[..20]);
        let hexdump_c = "00000000  00 50 56 93 63 3b 00 50  56 93 6a 3a 08 00 45 00  |.PV.c;.PV.j:..E.|\n\
                         00000010  00 86 75 86                                       |..u.|\n\
                         00000014\n";
        assert_eq!(one(hexdump_c), seed()[..20]);
    }

    #[test]
    fn hex_streams_one_packet_per_block() {
        let seed_hex: String = seed().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(one(&seed_hex), seed());
        // xxd -p: lines of 60 digits, one packet.
        let xxd_p: String = seed_hex
            .as_bytes()
            .chunks(60)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(one(&xxd_p), seed());
        // Two streams separated by a blank line, uppercase, and groups without offsets.
        let packets = parse("00505693633B\n\n0050 5693\n633b\nnot hex\nAB CD 01\n").unwrap();
        let bytes: Vec<_> = packets.iter().map(|p| (p.bytes.clone(), p.line)).collect();
        assert_eq!(
            bytes,
            [
                (vec![0x00, 0x50, 0x56, 0x93, 0x63, 0x3b], 1),
                (vec![0x00, 0x50, 0x56, 0x93, 0x63, 0x3b], 3),
                (vec![0xab, 0xcd, 0x01], 6)
            ]
        );
    }

    #[test]
    fn several_tcpdump_packets_are_several_packets() {
        let twice = format!("{TCPDUMP_XX}{TCPDUMP_XX}");
        let packets = parse(&twice).unwrap();
        assert_eq!(packets.len(), 2);
        assert!(packets.iter().all(|p| p.bytes == seed()));
        assert_eq!(packets[1].line, 4 + 13);
    }

    #[test]
    fn lines_that_are_not_hex_are_ignored() {
        let text = "$ tcpdump -XX -r x.pcap\n\nlink-type EN10MB\n| eth.dst 00:50:56:93:63:3b\n0x0000:  0050 5693 633b\n";
        assert_eq!(one(text), seed()[..6]);
        assert!(
            parse("no hex here\n16:30:47.124500 IP 10.0.0.1 > 10.0.0.2\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn odd_nibbles_are_an_error_on_their_line() {
        let e = error("0x0000:  0050 5693 633b\n0x0006:  0050 569 6a3a\n");
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("odd number of hex digits in \"569\""),
            "{e}"
        );
        let e = error("header\n00505693633\n");
        assert_eq!(e.line, 2);
        assert!(e.to_string().starts_with("line 2: odd number"), "{e}");
        assert_eq!(error("000000 00 50 5\n").line, 1);
    }

    #[test]
    fn gaps_and_overlaps_in_offsets_are_errors_on_their_line() {
        let gap = TCPDUMP_XX.replace(
            "\t0x0030:  0100 b672 ae36 7b6c fe90 c418 69a7 0800  ...r.6{l....i...\n",
            "",
        );
        let e = error(&gap);
        assert_eq!(e.line, 7);
        assert!(
            e.message.contains("offset 0x0040") && e.message.contains("gap"),
            "{e}"
        );
        let overlap = "0x0000:  0050 5693 633b 0050\n0x0006:  5693 6a3a\n";
        let e = error(overlap);
        assert_eq!(e.line, 2);
        assert!(e.message.contains("overlap"), "{e}");
        let e = error("\t0x0010:  0086 7586\n");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("not 0"), "{e}");
        // od's final offset must be where the bytes end.
        let e = error("000000 00 01 02 03\n000005\n");
        assert_eq!(e.line, 2);
        // A '*' that cannot stand for whole lines.
        let e = error("000000 00 00 00 00\n*\n000006 00\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("'*' on line 2"), "{e}");
    }

    #[test]
    fn a_group_wider_than_the_others_is_an_error() {
        let e = error("0x0000:  0050 5693 633b00\n");
        assert!(e.message.contains("longer than the groups"), "{e}");
    }
}
