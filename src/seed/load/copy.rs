//! Hand-written encoder for PostgreSQL's binary COPY format. The generators write typed values straight
//! into a byte buffer (no per-value trait objects or allocations), which keeps the client far ahead of
//! the server: the seed is bound by what PostgreSQL can ingest, not by encoding.

use std::io::Write;

/// Signature, flags and header extension length that open every binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count -1 that ends the stream.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;
/// Days between 1970-01-01 and 2000-01-01.
const PG_EPOCH_UNIX_DAYS: i32 = 10_957;

/// Rows of one table, binary-encoded, without the stream header and trailer.
#[derive(Debug, Default)]
pub struct Rows {
    pub buf: Vec<u8>,
    /// Rows in `buf`.
    pub count: u64,
    /// Fields written since the last [`Rows::row`], for the sink's check against the registry (debug builds).
    #[cfg(debug_assertions)]
    pub fields: i16,
}

impl Rows {
    pub fn with_capacity(bytes: usize) -> Self {
        Self { buf: Vec::with_capacity(bytes), ..Self::default() }
    }

    /// Starts a row of `fields` values.
    pub fn row(&mut self, fields: i16) {
        self.count += 1;
        self.buf.extend_from_slice(&fields.to_be_bytes());
        #[cfg(debug_assertions)]
        {
            self.fields = 0;
        }
    }

    /// A field's length word (every field starts with one; -1 is NULL).
    fn field(&mut self, len: i32) {
        self.buf.extend_from_slice(&len.to_be_bytes());
        #[cfg(debug_assertions)]
        {
            self.fields += 1;
        }
    }

    fn len(&mut self, n: usize) {
        self.field(i32::try_from(n).expect("a COPY field is under 2 GiB"));
    }

    pub fn null(&mut self) {
        self.field(-1);
    }

    pub fn uuid(&mut self, u: &[u8; 16]) {
        self.len(16);
        self.buf.extend_from_slice(u);
    }

    pub fn opt_uuid(&mut self, u: Option<&[u8; 16]>) {
        match u {
            Some(u) => self.uuid(u),
            None => self.null(),
        }
    }

    /// text, varchar and enum labels (an enum's binary form is its label).
    pub fn text(&mut self, s: &str) {
        self.len(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub fn bytea(&mut self, b: &[u8]) {
        self.len(b.len());
        self.buf.extend_from_slice(b);
    }

    pub fn bool(&mut self, b: bool) {
        self.len(1);
        self.buf.push(u8::from(b));
    }

    pub fn i16(&mut self, v: i16) {
        self.len(2);
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn i32(&mut self, v: i32) {
        self.len(4);
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn opt_i32(&mut self, v: Option<i32>) {
        match v {
            Some(v) => self.i32(v),
            None => self.null(),
        }
    }

    pub fn i64(&mut self, v: i64) {
        self.len(8);
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// xid8 (a 64-bit transaction id).
    pub fn xid8(&mut self, v: u64) {
        self.len(8);
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// timestamptz from microseconds since the Unix epoch.
    pub fn ts(&mut self, unix_micros: i64) {
        self.i64(unix_micros - PG_EPOCH_UNIX_MICROS);
    }

    pub fn opt_ts(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.ts(v),
            None => self.null(),
        }
    }

    /// date from days since the Unix epoch.
    pub fn date(&mut self, unix_days: i32) {
        self.i32(unix_days - PG_EPOCH_UNIX_DAYS);
    }

    /// numeric with `scale` decimals from the scaled integer `v` (value = v / 10^scale), scale 0..=4.
    pub fn numeric(&mut self, v: i64, scale: u16) {
        debug_assert!(scale <= 4);
        let mut n = v.unsigned_abs() * 10u64.pow(u32::from(4 - scale));
        let mut digits = [0i16; 8];
        let mut count = 0;
        while n > 0 {
            digits[count] = (n % 10_000) as i16;
            n /= 10_000;
            count += 1;
        }
        // digits[0] is the fractional group; weight counts integer groups above it.
        let weight = i16::try_from(count).expect("at most 5 groups") - 2;
        let mut low = 0;
        while low < count && digits[low] == 0 {
            low += 1;
        }
        let ndigits = count - low;
        self.len(8 + 2 * ndigits);
        self.buf.extend_from_slice(&i16::try_from(ndigits).expect("at most 5 groups").to_be_bytes());
        self.buf.extend_from_slice(&(if ndigits == 0 { 0 } else { weight }).to_be_bytes());
        self.buf.extend_from_slice(&(if v < 0 { 0x4000u16 } else { 0 }).to_be_bytes());
        self.buf.extend_from_slice(&scale.to_be_bytes());
        for d in digits[low..count].iter().rev() {
            self.buf.extend_from_slice(&d.to_be_bytes());
        }
    }

    pub fn opt_numeric(&mut self, v: Option<i64>, scale: u16) {
        match v {
            Some(v) => self.numeric(v, scale),
            None => self.null(),
        }
    }

    /// jsonb written by `f` as JSON text (binary jsonb is a version byte and the text).
    pub fn jsonb(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.buf.len();
        self.field(0);
        self.buf.push(1);
        write(&mut self.buf);
        let len = i32::try_from(self.buf.len() - at - 4).expect("a jsonb value is under 2 GiB");
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    pub fn jsonb_str(&mut self, json: &str) {
        self.jsonb(|b| b.extend_from_slice(json.as_bytes()));
    }

    /// text[] (one dimension, no NULLs).
    pub fn text_array<S: AsRef<str>>(&mut self, items: &[S]) {
        let body: usize = items.iter().map(|s| 4 + s.as_ref().len()).sum();
        if items.is_empty() {
            self.len(12);
            self.buf.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
            return;
        }
        self.len(20 + body);
        self.buf.extend_from_slice(&1i32.to_be_bytes());
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        self.buf.extend_from_slice(&25u32.to_be_bytes());
        self.buf.extend_from_slice(&i32::try_from(items.len()).expect("an array under 2^31 elements").to_be_bytes());
        self.buf.extend_from_slice(&1i32.to_be_bytes());
        // Elements carry their own length words; they are not fields of the row.
        for item in items {
            let item = item.as_ref();
            let len = i32::try_from(item.len()).expect("an array element is under 2 GiB");
            self.buf.extend_from_slice(&len.to_be_bytes());
            self.buf.extend_from_slice(item.as_bytes());
        }
    }

    /// inet holding an IPv4 host address.
    pub fn inet4(&mut self, a: [u8; 4]) {
        self.len(8);
        self.buf.extend_from_slice(&[2, 32, 0, 4]);
        self.buf.extend_from_slice(&a);
    }
}

/// A JSON string literal (escapes quotes, backslashes and control characters).
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// A JSON string holding a UUID in its canonical hyphenated form.
pub fn json_uuid(out: &mut Vec<u8>, u: &[u8; 16]) {
    out.push(b'"');
    let mut tmp = [0u8; 36];
    out.extend_from_slice(uuid::Uuid::from_bytes(*u).hyphenated().encode_lower(&mut tmp).as_bytes());
    out.push(b'"');
}

/// A JSON number with `scale` decimals from a scaled integer (82.35 from 8235, 2).
pub fn json_decimal(out: &mut Vec<u8>, v: i64, scale: u32) {
    let p = 10u64.pow(scale);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:0width$}", a / p, a % p, width = scale as usize);
}

/// A JSON string with an RFC 3339 UTC timestamp from Unix microseconds.
pub fn json_ts(out: &mut Vec<u8>, unix_micros: i64) {
    let t = chrono::DateTime::from_timestamp_micros(unix_micros).expect("timestamp in range");
    let _ = write!(out, "\"{}\"", t.format("%Y-%m-%dT%H:%M:%SZ"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(v: i64, scale: u16) -> Vec<u8> {
        let mut r = Rows::default();
        r.numeric(v, scale);
        r.buf[4..].to_vec()
    }

    #[test]
    fn numeric_encodes_base_10000_groups() {
        // 82.35: ndigits 2, weight 0, positive, dscale 2, digits 82 3500
        assert_eq!(numeric_bytes(8235, 2), [0, 2, 0, 0, 0, 0, 0, 2, 0, 82, 0x0d, 0xac]);
        // 12345.6: digits 1 2345 6000, weight 1
        assert_eq!(numeric_bytes(123_456, 1), [0, 3, 0, 1, 0, 0, 0, 1, 0, 1, 0x09, 0x29, 0x17, 0x70]);
        // 0: no digits
        assert_eq!(numeric_bytes(0, 2), [0, 0, 0, 0, 0, 0, 0, 2]);
        // -0.5: one fractional group 5000, weight -1
        assert_eq!(numeric_bytes(-50, 2), [0, 1, 0xff, 0xff, 0x40, 0, 0, 2, 0x13, 0x88]);
        // 100.00: integer group 100, fractional group dropped
        assert_eq!(numeric_bytes(10_000, 2), [0, 1, 0, 0, 0, 0, 0, 2, 0, 100]);
    }

    #[test]
    fn json_helpers_escape_and_format() {
        let mut b = Vec::new();
        json_str(&mut b, "a\"b\\c\n");
        json_decimal(&mut b, -705, 2);
        assert_eq!(String::from_utf8(b).unwrap(), "\"a\\\"b\\\\c\\u000a\"-7.05");
    }
}
