//! Latency statistics in constant memory: a log-linear histogram (quantiles to within 1/128 of the value,
//! minimum and maximum exact) and a running least-squares fit of latency against time (drift).

/// Sub-buckets per power of two: a value is placed within 1/`SUB` of itself.
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
/// Powers of two of nanoseconds covered (2^44 ns is about 4.9 hours); larger magnitudes share the last bucket.
const OCTAVES: usize = 45;
const HALF: usize = OCTAVES * SUB;

/// The distribution of latencies (in nanoseconds, of either sign) of one hop in one direction.
#[derive(Clone)]
pub struct Latencies {
    /// Negative values, by magnitude, then zero and positive values, by magnitude.
    negative: Box<[u64]>,
    positive: Box<[u64]>,
    count: u64,
    min: i64,
    max: i64,
    /// Running sums for the fit of latency (µs) against time (s since the first value).
    fit: Fit,
}

#[derive(Clone, Copy, Default)]
struct Fit {
    t0: Option<i64>,
    n: f64,
    t: f64,
    l: f64,
    tt: f64,
    tl: f64,
    last_t: f64,
}

/// The figures reported for a hop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    /// Nanoseconds.
    pub min: i64,
    pub median: i64,
    pub p99: i64,
    pub max: i64,
    /// Negative latencies seen.
    pub negative: u64,
    /// The least-squares change of latency over the time the hop was observed (ns), when at least two values
    /// were seen over some time.
    pub drift: Option<i64>,
    /// Seconds between the first and the last value.
    pub span_s: f64,
}

/// Bucket of a magnitude.
fn bucket(m: u64) -> usize {
    if m < SUB as u64 {
        return m as usize;
    }
    let octave = 63 - m.leading_zeros(); // >= SUB_BITS
    let sub = (m >> (octave - SUB_BITS)) as usize & (SUB - 1);
    (((octave - SUB_BITS + 1) as usize) * SUB + sub).min(HALF - 1)
}

/// The smallest magnitude and the width of a bucket.
fn bucket_range(b: usize) -> (u64, u64) {
    if b < SUB {
        return (b as u64, 1);
    }
    let octave = (b / SUB) as u32 + SUB_BITS - 1;
    let sub = (b % SUB) as u64;
    let width = 1u64 << (octave - SUB_BITS);
    ((1u64 << octave) + sub * width, width)
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            negative: vec![0; HALF].into_boxed_slice(),
            positive: vec![0; HALF].into_boxed_slice(),
            count: 0,
            min: i64::MAX,
            max: i64::MIN,
            fit: Fit::default(),
        }
    }
}

impl Latencies {
    /// Records a latency of `ns` nanoseconds, measured at time `at` (ns since the epoch).
    pub fn add(&mut self, ns: i64, at: i64) {
        if ns < 0 {
            self.negative[bucket(ns.unsigned_abs())] += 1;
        } else {
            self.positive[bucket(ns as u64)] += 1;
        }
        self.count += 1;
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        let f = &mut self.fit;
        let t0 = *f.t0.get_or_insert(at);
        let t = (at - t0) as f64 / 1e9;
        let l = ns as f64 / 1e3;
        f.n += 1.0;
        f.t += t;
        f.l += l;
        f.tt += t * t;
        f.tl += t * l;
        f.last_t = f.last_t.max(t);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value of rank `rank` (0-based) in increasing order, to within a bucket (its middle, kept between the
    /// minimum and the maximum).
    fn value_at_rank(&self, rank: u64) -> i64 {
        let mut seen = 0u64;
        let clamp = |v: i64| v.clamp(self.min, self.max);
        for b in (0..HALF).rev() {
            seen += self.negative[b];
            if seen > rank {
                let (lo, w) = bucket_range(b);
                return clamp(-((lo + w / 2) as i64));
            }
        }
        for b in 0..HALF {
            seen += self.positive[b];
            if seen > rank {
                let (lo, w) = bucket_range(b);
                return clamp((lo + w / 2) as i64);
            }
        }
        self.max
    }

    /// The quantile `q` (0 to 1): the value of rank ⌈q·n⌉ − 1.
    pub fn quantile(&self, q: f64) -> i64 {
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count.max(1)) - 1;
        self.value_at_rank(rank)
    }

    pub fn summary(&self) -> Option<LatencySummary> {
        if self.count == 0 {
            return None;
        }
        let f = &self.fit;
        let denom = f.n * f.tt - f.t * f.t;
        let drift = (f.n >= 2.0 && f.last_t > 0.0 && denom > 0.0).then(|| {
            let slope = (f.n * f.tl - f.t * f.l) / denom; // µs per s
            (slope * f.last_t * 1e3) as i64
        });
        Some(LatencySummary {
            count: self.count,
            min: self.min,
            median: self.quantile(0.5),
            p99: self.quantile(0.99),
            max: self.max,
            negative: self.negative.iter().sum(),
            drift,
            span_s: f.last_t,
        })
    }

    /// Counts of values in `bins` equal bins from the minimum to the maximum (for a histogram picture); each
    /// bucket's count goes to the bin holding its middle.
    pub fn bins(&self, bins: usize) -> Vec<u64> {
        let mut out = vec![0u64; bins.max(1)];
        if self.count == 0 {
            return out;
        }
        let span = (self.max - self.min).max(1) as f64;
        let mut put = |v: i64, n: u64| {
            let v = v.clamp(self.min, self.max);
            let i = (((v - self.min) as f64 / span) * out.len() as f64) as usize;
            let last = out.len() - 1;
            out[i.min(last)] += n;
        };
        for b in 0..HALF {
            let (lo, w) = bucket_range(b);
            let mid = (lo + w / 2) as i64;
            if self.negative[b] > 0 {
                put(-mid, self.negative[b]);
            }
            if self.positive[b] > 0 {
                put(mid, self.positive[b]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_magnitude_in_order() {
        let mut last = 0;
        for m in [
            0u64,
            1,
            63,
            64,
            65,
            127,
            128,
            1000,
            50_000,
            1 << 40,
            u64::MAX,
        ] {
            let b = bucket(m);
            assert!(b >= last, "{m}");
            last = b;
            let (lo, w) = bucket_range(b);
            if b < HALF - 1 {
                assert!(lo <= m && m < lo + w, "{m} in [{lo}, {})", lo + w);
            }
        }
    }

    #[test]
    fn quantiles_within_a_bucket_of_the_exact_ones() {
        let mut l = Latencies::default();
        // 40 000 to 60 000 ns, uniformly, in a scrambled order (no trend in time).
        let mut values: Vec<i64> = (0..10_001)
            .map(|i| 40_000 + 2 * ((i * 7919) % 10_001))
            .collect();
        for (i, v) in values.iter().enumerate() {
            l.add(*v, i as i64 * 1000);
        }
        values.sort();
        let s = l.summary().unwrap();
        assert_eq!((s.min, s.max, s.count), (40_000, 60_000, 10_001));
        for (q, got) in [(0.5, s.median), (0.99, s.p99)] {
            let exact = values[((q * values.len() as f64).ceil() as usize) - 1];
            assert!((got - exact).abs() <= exact / 64, "{q}: {got} vs {exact}");
        }
        assert_eq!(s.negative, 0);
        // No trend: the fitted drift is small against the spread.
        assert!(s.drift.unwrap().abs() < 1000, "{:?}", s.drift);
        assert_eq!(l.bins(4).iter().sum::<u64>(), 10_001);
    }

    #[test]
    fn negative_values_and_a_drift_are_seen() {
        let mut l = Latencies::default();
        // From −100 µs to +900 µs over 10 s: a clock drifting by 1 ms.
        for i in 0..=1000i64 {
            l.add(-100_000 + i * 1000, i * 10_000_000);
        }
        let s = l.summary().unwrap();
        assert_eq!(s.min, -100_000);
        assert_eq!(s.negative, 100);
        let drift = s.drift.unwrap();
        assert!((drift - 1_000_000).abs() < 1000, "{drift}");
        assert!((s.median - 400_000).abs() < 400_000 / 64);
    }
}
