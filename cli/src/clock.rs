//! Wall-clock times of packets, in local time as tcpdump prints them (or UTC).

use std::io::Write as _;

use vxscope_capture::Timestamp;
use vxscope_dissector::value::write;

/// Turns epoch seconds into local (or UTC) dates and times, caching the UTC offset for the current hour.
#[derive(Clone)]
pub struct Clock {
    utc: bool,
    cached_hour: i64,
    offset: i64,
    /// The second last written by `time_of_day`, and its `HH:MM:SS`.
    cached_second: i64,
    hms: [u8; 8],
}

/// A broken-down time.
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Clock {
    pub fn new(utc: bool) -> Clock {
        Clock {
            utc,
            cached_hour: i64::MIN,
            offset: 0,
            cached_second: i64::MIN,
            hms: [0; 8],
        }
    }

    /// The UTC offset in seconds at `sec` (0 in UTC mode).
    fn offset_at(&mut self, sec: i64) -> i64 {
        if self.utc {
            return 0;
        }
        let hour = sec.div_euclid(3600);
        if hour != self.cached_hour {
            self.cached_hour = hour;
            self.offset = local_offset(sec);
        }
        self.offset
    }

    pub fn civil(&mut self, sec: i64) -> Civil {
        let local = sec + self.offset_at(sec);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// `HH:MM:SS.ffffff` (or nine digits).
    pub fn time_of_day(&mut self, out: &mut Vec<u8>, ts: Timestamp, digits: u8) {
        // Packets come many a second: the clock part is worked out once a second.
        if ts.sec != self.cached_second {
            let c = self.civil(ts.sec);
            let digits = |v: u32| [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8];
            let (h, m, s) = (digits(c.hour), digits(c.minute), digits(c.second));
            self.hms = [h[0], h[1], b':', m[0], m[1], b':', s[0], s[1]];
            self.cached_second = ts.sec;
        }
        out.extend_from_slice(&self.hms);
        fraction(out, ts.nsec, digits);
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff ZONE`, appended to `out`.
    pub fn write_date_time(&mut self, out: &mut Vec<u8>, ts: Timestamp, digits: u8) {
        let c = self.civil(ts.sec);
        let _ = write!(out, "{:04}-{:02}-{:02} ", c.year, c.month, c.day);
        self.time_of_day(out, ts, digits);
        if self.utc || self.offset_at(ts.sec) == 0 {
            out.extend_from_slice(b" UTC");
        } else {
            let o = self.offset_at(ts.sec);
            let _ = write!(
                out,
                " {}{:02}{:02}",
                if o < 0 { '-' } else { '+' },
                o.abs() / 3600,
                o.abs() / 60 % 60
            );
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff ZONE`.
    #[cfg(test)]
    pub fn date_time(&mut self, ts: Timestamp, digits: u8) -> String {
        let mut out = Vec::new();
        self.write_date_time(&mut out, ts, digits);
        String::from_utf8(out).expect("ASCII")
    }
}

/// `.` and the first `digits` (1 to 9) of the nine digits of `nsec`.
fn fraction(out: &mut Vec<u8>, nsec: u32, digits: u8) {
    const TENS: [u32; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let digits = usize::from(digits.clamp(1, 9));
    out.push(b'.');
    write::u64_dec_padded(out, u64::from(nsec / TENS[9 - digits]), digits);
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The local UTC offset at `sec`, from the C library (which reads TZ and the zone database).
fn local_offset(sec: i64) -> i64 {
    let t = sec as libc::time_t;
    // SAFETY: localtime_r writes only into the zeroed struct we own; both pointers are valid for the call.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc() {
        let mut c = Clock::new(true);
        assert_eq!(
            c.date_time(
                Timestamp {
                    sec: 1_630_859_447,
                    nsec: 124_500_000
                },
                6
            ),
            "2021-09-05 16:30:47.124500 UTC"
        );
        assert_eq!(
            c.date_time(Timestamp { sec: 0, nsec: 1 }, 9),
            "1970-01-01 00:00:00.000000001 UTC"
        );
        assert_eq!(
            c.date_time(
                Timestamp {
                    sec: 951_782_400,
                    nsec: 0
                },
                6
            ),
            "2000-02-29 00:00:00.000000 UTC"
        );
        let mut out = Vec::new();
        c.time_of_day(
            &mut out,
            Timestamp {
                sec: 1_630_859_447,
                nsec: 124_500_000,
            },
            6,
        );
        assert_eq!(out, b"16:30:47.124500");
    }

    #[test]
    fn fractions_of_a_second_in_every_number_of_digits() {
        for nsec in [
            0,
            1,
            9,
            10,
            999,
            124_500_000,
            100_000_000,
            999_999_999,
            123_456_789,
        ] {
            for digits in 1..=9u8 {
                let mut out = Vec::new();
                fraction(&mut out, nsec, digits);
                let nine = format!("{nsec:09}");
                let want = format!(".{}", &nine[..usize::from(digits)]);
                assert_eq!(out, want.as_bytes(), "{nsec} to {digits} digits");
            }
        }
    }
}
